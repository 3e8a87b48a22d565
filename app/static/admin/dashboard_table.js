/* The dashboard's tables of bases: a search box keeps the rows whose name contains what is typed, and
   each column header sorts the rows (numbers as numbers, names in Chinese order; again to reverse).
   No inline script: the tables say what they want with data attributes. Without this script the
   table is shown whole, in the server's order. */
(function () {
  "use strict";

  function cellValue(row, index, numeric) {
    var cell = row.cells[index];
    var text = cell ? cell.textContent.trim() : "";
    if (!numeric) {
      return text;
    }
    var number = parseFloat(text);
    return isNaN(number) ? -Infinity : number;  // "—" (no quota) sorts below every number
  }

  function sortBy(table, header, index) {
    var numeric = header.getAttribute("data-sort") !== "text";
    var ascending = header.getAttribute("aria-sort") === "descending" ||
      (header.getAttribute("aria-sort") !== "ascending" && !numeric);
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) {
      other.removeAttribute("aria-sort");
    });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, index, numeric), y = cellValue(b, index, numeric);
      var order = numeric ? x - y : String(x).localeCompare(String(y), "zh-CN");
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  function sortable(table) {
    if (!table.tHead || !table.tBodies.length || table.tBodies[0].rows.length < 2) {
      return;
    }
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "dash-sort";
      while (header.firstChild) {
        button.appendChild(header.firstChild);
      }
      header.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, header, index); });
    });
  }

  function searchable(box) {
    var table = document.getElementById(box.getAttribute("data-search-for"));
    if (!table || !table.tBodies.length) {
      return;
    }
    var input = box.querySelector("input");
    var count = box.querySelector("[data-search-count]");
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    function apply() {
      var term = input.value.trim().toLowerCase();
      var shown = 0;
      rows.forEach(function (row) {
        var name = row.cells[0] ? row.cells[0].textContent.toLowerCase() : "";
        var match = !term || name.indexOf(term) !== -1;
        row.hidden = !match;
        shown += match ? 1 : 0;
      });
      if (count) {
        count.textContent = count.getAttribute("data-template")
          .replace("{shown}", shown).replace("{total}", rows.length);
      }
    }
    input.addEventListener("input", apply);
    box.hidden = false;
  }

  Array.prototype.forEach.call(document.querySelectorAll("table[data-sortable]"), sortable);
  Array.prototype.forEach.call(document.querySelectorAll("[data-search-for]"), searchable);
})();
