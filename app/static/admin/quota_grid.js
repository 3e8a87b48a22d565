// The quota grid: row and column totals follow what is typed, and changed cells are marked.
(function () {
  "use strict";
  var table = document.querySelector(".quota-grid");
  if (!table) { return; }

  function number(input) {
    var text = input.value.trim();
    return /^\d{1,6}$/.test(text) ? parseInt(text, 10) : 0;
  }

  function totals() {
    var rows = {}, columns = {}, all = 0;
    table.querySelectorAll("input.quota-input").forEach(function (input) {
      var parts = input.name.split("-"), value = number(input);
      rows[parts[1]] = (rows[parts[1]] || 0) + value;
      columns[parts[2]] = (columns[parts[2]] || 0) + value;
      all += value;
      input.classList.toggle("quota-changed", input.value.trim() !== input.getAttribute("data-initial"));
    });
    table.querySelectorAll("[data-total-of]").forEach(function (cell) {
      cell.textContent = rows[cell.getAttribute("data-total-of")] || 0;
    });
    table.querySelectorAll("[data-total-of-specialty]").forEach(function (cell) {
      cell.textContent = columns[cell.getAttribute("data-total-of-specialty")] || 0;
    });
    var grand = table.querySelector(".quota-grand-total");
    if (grand) { grand.textContent = all; }
  }

  table.addEventListener("input", totals);
  totals();
}());
