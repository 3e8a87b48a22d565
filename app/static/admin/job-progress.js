/* The job page: polls the job's status (JSON) every two seconds until it is finished, moving the
   progress bar and showing the summary, the error or the download link. */
(function () {
  'use strict';
  var page = document.getElementById('job');
  if (!page || page.getAttribute('data-finished') === 'true') { return; }
  var bar = document.getElementById('job-bar');
  function show(id, text) {
    var element = document.getElementById(id);
    element.textContent = text;
    element.hidden = !text;
  }
  function update(data) {
    bar.style.width = data.percent + '%';
    bar.setAttribute('aria-valuenow', String(data.percent));
    bar.textContent = data.percent + '%';
    document.getElementById('job-state').textContent = data.state_label;
    document.getElementById('job-count').textContent = data.done + ' / ' + data.total;
    show('job-summary', data.summary);
    show('job-error', data.error);
    if (data.download_url) {
      var link = document.getElementById('job-download');
      link.href = data.download_url;
      link.hidden = false;
    }
    if (data.finished) {
      window.location.reload();  // the finished page: retry button, expiry date
      return;
    }
    window.setTimeout(poll, 2000);
  }
  function poll() {
    fetch(page.getAttribute('data-status-url'), {credentials: 'same-origin', headers: {'Accept': 'application/json'}})
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(update)
      .catch(function () { show('job-error', page.getAttribute('data-failed-text')); });
  }
  window.setTimeout(poll, 1000);
}());
