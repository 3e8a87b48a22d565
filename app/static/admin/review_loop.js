/* The review loop (review_loop.py): keyboard shortcuts on the details page, and a confirmation before
   a one-click action of a list row. No shortcut fires while the reviewer types in a field. */
(function () {
  function typing(target) {
    if (!target) { return false; }
    var tag = (target.tagName || '').toLowerCase();
    return tag === 'input' || tag === 'textarea' || tag === 'select' || target.isContentEditable;
  }

  function click(id) {
    var element = document.getElementById(id);
    if (element) { element.click(); return true; }
    return false;
  }

  if (document.getElementById('review-loop') || document.querySelector('.review-loop-bar')) {
    document.addEventListener('keydown', function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
      var key = (event.key || '').toLowerCase();
      var done = false;
      if (key === 'j') { done = click('loop-next'); }
      else if (key === 'k') { done = click('loop-prev'); }
      else if (key === 'a') { done = click('loop-approve'); }
      else if (key === 'r') {
        var box = document.getElementById('reason');
        if (box) { box.focus(); box.scrollIntoView({block: 'center'}); done = true; }
      }
      if (done) { event.preventDefault(); }
    });
  }

  // a list row's approve (or 报到): asks first
  document.querySelectorAll('form.row-approve[data-confirm]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      if (!window.confirm(form.getAttribute('data-confirm'))) { event.preventDefault(); }
    });
  });
})();
