/* Behaviour of the back office's own pages (no inline scripts: the Content-Security-Policy refuses them). */
(function () {
  // review: a preset reason is appended to the reason box
  document.querySelectorAll('.preset-reason').forEach(function (button) {
    button.addEventListener('click', function () {
      var box = document.getElementById('reason');
      var text = button.getAttribute('data-reason');
      box.value = box.value.trim() ? box.value.replace(/\s+$/, '') + '；' + text : text;
      box.focus();
      box.setSelectionRange(box.value.length, box.value.length);
    });
  });

  // a one-click change that cannot be undone here (报到) asks first
  document.querySelectorAll('form[data-confirm]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      if (!window.confirm(form.getAttribute('data-confirm'))) { event.preventDefault(); }
    });
  });

  // on-site confirmation: the code field is focused with its text selected, so a scanner's next read
  // replaces a refused code instead of being appended to it (after a confirmation the field is empty)
  var scanField = document.querySelector('.confirm-scan input[data-select-on-load]');
  if (scanField) {
    scanField.focus();
    scanField.select();
  }

  // application details: an image (or a PDF's page image) opens in the viewer
  document.querySelectorAll('.application-details .file-thumb').forEach(function (link) {
    link.addEventListener('click', function (event) {
      if (!window.jQuery || !jQuery.fn.modal || !document.getElementById('file-viewer')) { return; }
      event.preventDefault();
      var full = link.getAttribute('data-full');
      document.getElementById('file-viewer-image').src = full;
      document.getElementById('file-viewer-image').alt = link.getAttribute('data-title');
      document.getElementById('file-viewer-title').textContent = link.getAttribute('data-title');
      document.getElementById('file-viewer-open').href = link.getAttribute('data-open') || full;
      jQuery('#file-viewer').modal('show');
    });
  });
})();
