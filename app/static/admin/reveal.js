/* "Show full" buttons next to a masked ID number or mobile: one POST (CSRF token in the button) to the
   view's reveal endpoint, which checks scope, writes the access log and answers {"value": "..."}. */
(function () {
  'use strict';
  document.addEventListener('click', function (event) {
    var button = event.target.closest ? event.target.closest('.pii-reveal') : null;
    if (!button) { return; }
    event.preventDefault();
    button.disabled = true;
    var body = new URLSearchParams();
    body.append('id', button.getAttribute('data-id'));
    body.append('field', button.getAttribute('data-field'));
    body.append('csrf_token', button.getAttribute('data-csrf'));
    fetch(button.getAttribute('data-url'), {
      method: 'POST', body: body, credentials: 'same-origin',
      headers: {'X-CSRFToken': button.getAttribute('data-csrf'), 'Accept': 'application/json'}
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (data) {
      var box = button.closest('.pii');
      box.querySelector('.pii-value').textContent = data.value;
      box.classList.add('pii-revealed');
      button.parentNode.removeChild(button);
    }).catch(function () {
      button.disabled = false;
      button.textContent = button.getAttribute('data-failed');
    });
  });
}());
