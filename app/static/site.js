/* On every portal page: a form with data-confirm asks before it is sent (the Content-Security-Policy
   refuses inline onsubmit handlers). */
(function () {
  document.addEventListener('submit', function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
})();
