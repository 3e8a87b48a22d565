// The batch form: hide the fields only a residency batch has while the program is GP transfer.
// Each fieldset names its residency-only fields in data-residency-only (views/admin/batches.py).
(function () {
  "use strict";
  var program = document.getElementById("program");
  if (!program) { return; }
  function fieldGroup(name) {
    var field = document.getElementById(name) || document.querySelector('[id^="' + name + '"]');
    return field ? field.closest(".form-group") || field.parentElement : null;
  }
  function update() {
    var residency = program.value === "residency";
    document.querySelectorAll("fieldset[data-residency-only]").forEach(function (fieldset) {
      var names = fieldset.getAttribute("data-residency-only").split(" ").filter(Boolean);
      if (fieldset.getAttribute("data-all") === "yes") {
        fieldset.hidden = !residency;
        return;
      }
      names.forEach(function (name) {
        var group = fieldGroup(name);
        if (group) { group.hidden = !residency; }
      });
    });
  }
  program.addEventListener("change", update);
  if (window.jQuery) { window.jQuery(program).on("change", update); }  // select2 triggers jQuery's change
  update();
}());
