/* The Content-Security-Policy refuses inline event handlers and javascript: links. Flask-Admin's
   templates carry a few onclick="…" (the filter menu, the delete button's confirmation, "with
   selected" actions, "add an inline row"); they reach the page renamed data-onclick
   (views/admin/csp_templates.py), and each becomes here an ordinary listener doing the same thing.
   A click on a javascript: link only has its default action cancelled (the page's listeners run). */
(function () {
  function quoted(code, name) {
    var match = code.match(new RegExp(name + "\\(\\s*(?:this\\s*,\\s*)?'((?:[^'\\\\]|\\\\.)*)'"));
    return match ? match[1].replace(/\\(.)/g, '$1') : null;
  }

  function adopt(element) {
    var code = element.getAttribute('data-onclick') || '';
    element.removeAttribute('data-onclick');
    var text;
    if (/^\s*return false;?\s*$/.test(code)) {
      element.addEventListener('click', function (event) { event.preventDefault(); });
    } else if ((text = quoted(code, 'safeConfirm')) !== null || (text = quoted(code, 'confirm')) !== null) {
      element.addEventListener('click', function (event) {
        if (!window.confirm(text)) { event.preventDefault(); event.stopImmediatePropagation(); }
      });
    } else if ((text = quoted(code, 'modelActions\\.execute')) !== null) {
      element.addEventListener('click', function (event) {
        event.preventDefault();
        window.modelActions.execute(text);
      });
    } else if ((text = quoted(code, 'addInlineField')) !== null) {
      element.addEventListener('click', function (event) {
        event.preventDefault();
        window.faForm.addInlineField(element, text);
      });
    } else if (window.console) {
      window.console.warn('csp.js: an inline handler was dropped: ' + code);
    }
  }

  document.addEventListener('click', function (event) {
    var link = event.target.closest && event.target.closest('a[href^="javascript:"]');
    if (link) { event.preventDefault(); }
  }, true);

  document.querySelectorAll('[data-onclick]').forEach(adopt);
  new MutationObserver(function (records) {  // rows and modals added later
    records.forEach(function (record) {
      record.addedNodes.forEach(function (node) {
        if (node.nodeType !== 1) { return; }
        if (node.hasAttribute('data-onclick')) { adopt(node); }
        node.querySelectorAll('[data-onclick]').forEach(adopt);
      });
    });
  }).observe(document.body, {childList: true, subtree: true});
})();
