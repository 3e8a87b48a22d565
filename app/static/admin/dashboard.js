/* The dashboard's charts: each <canvas data-chart="ID"> is drawn from the JSON in <script id="ID">,
   with the vendored Chart.js (served from /static; no outside request). The tables next to the
   charts carry the same numbers. */
(function () {
  "use strict";
  if (!window.Chart) {
    return;
  }
  var COLORS = {
    draft: "#adb5bd", submitted: "#0d6efd", county_approved: "#6f42c1", city_approved: "#d63384",
    assigned: "#198754", returned: "#fd7e14", rejected: "#dc3545", base_approved: "#20c997",
    confirmed: "#0dcaf0", admitted: "#198754", not_admitted: "#6c757d", reported: "#0f5132",
    wait0: "#198754", wait1: "#ffc107", wait2: "#fd7e14", wait3: "#dc3545",
    taken: "#0d6efd", remaining: "#b6d4fe",
    res_quota: "#ced4da", res_applied: "#0d6efd", res_admitted: "#198754"
  };
  var narrow = window.matchMedia("(max-width: 576px)").matches;

  Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.size = narrow ? 11 : 12;
  Chart.defaults.color = "#495057";

  function shorten(label) {
    var text = String(label);
    var most = narrow ? 9 : 16;
    return text.length > most ? text.slice(0, most - 1) + "…" : text;
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source) {
      return;
    }
    var spec = JSON.parse(source.textContent);
    var horizontal = !!spec.horizontal;
    var stacked = !!spec.stacked;
    var valueAxis = { stacked: stacked, beginAtZero: true, ticks: { precision: 0 } };
    var categoryAxis = {
      stacked: stacked,
      ticks: {
        autoSkip: false,
        callback: function (value) { return shorten(this.getLabelForValue(value)); }
      }
    };
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (set) {
          return {
            label: set.label, data: set.data, backgroundColor: COLORS[set.color] || "#6c757d",
            borderWidth: 0, maxBarThickness: 26
          };
        })
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12, padding: narrow ? 8 : 12 } },
          tooltip: { mode: "index", intersect: false }
        },
        scales: horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis }
      }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("canvas[data-chart]"), draw);
})();
