/*
 * The governance dashboard's charts. Reads the chart specifications the page passes with Django's `json_script`
 * (<script id="dashboard-charts" type="application/json">) and draws each <canvas data-chart="id"> with Chart.js
 * (vendored, loaded before this file). Selecting a bar, slice or point opens the admin list behind it.
 * No inline script or handler is needed, so the page works under a strict Content-Security-Policy.
 */
(function () {
  "use strict";

  var source = document.getElementById("dashboard-charts");
  if (!source || typeof window.Chart === "undefined") {
    return; // Without Chart.js the tables under each figure carry the same numbers.
  }
  var specs = JSON.parse(source.textContent);
  var Chart = window.Chart;

  var styles = getComputedStyle(document.documentElement);
  function cssVar(name, fallback) {
    var value = (styles.getPropertyValue(name) || "").trim();
    return value || fallback;
  }

  Chart.defaults.color = cssVar("--body-quiet-color", "#666");
  Chart.defaults.borderColor = cssVar("--hairline-color", "#e8e8e8");
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.animation = false;

  var SERIES = ["#417690", "#e0841e", "#5b9e4d", "#b04a6b", "#7a5cb3", "#2f9fb0"];
  var PALETTES = {
    severity: ["#ba2121", "#e0641e", "#d8a61a", "#6b9e4d"],
    deadlines: ["#ba2121", "#e0641e", "#417690", "#9a9a9a"],
    gaps: ["#b04a6b", "#b04a6b", "#b04a6b", "#b04a6b"],
    logs: ["#5b9e4d", "#ba2121", "#9a9a9a"]
  };

  function datasets(spec) {
    var palette = PALETTES[spec.palette];
    return spec.datasets.map(function (dataset, i) {
      var colour = palette && spec.datasets.length === 1 ? palette : SERIES[i % SERIES.length];
      var out = { label: dataset.label, data: dataset.data, backgroundColor: colour, borderColor: colour };
      if (spec.type === "line") {
        out.fill = false;
        out.tension = 0.2;
        out.spanGaps = false;
        out.pointRadius = 3;
        out.pointHoverRadius = 5;
      }
      if (spec.type === "doughnut") {
        out.borderColor = cssVar("--body-bg", "#fff");
      }
      return out;
    });
  }

  function formatValue(value, unit) {
    if (value === null || value === undefined) {
      return "no data";
    }
    return (unit === "hours" ? value.toFixed(1) : String(value)) + (unit ? " " + unit : "");
  }

  function openLink(spec, elements) {
    if (!elements.length) {
      return;
    }
    var url = spec.links[elements[0].index];
    if (typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/") {
      window.location.assign(url);
    }
  }

  function options(spec) {
    var countAxis = { beginAtZero: true, ticks: { precision: spec.unit === "hours" ? undefined : 0 } };
    if (spec.unit) {
      countAxis.title = { display: true, text: spec.unit };
    }
    var opts = {
      responsive: true,
      maintainAspectRatio: false,
      plugins: {
        legend: { display: spec.type === "doughnut" || spec.datasets.length > 1, position: "bottom" },
        tooltip: {
          callbacks: {
            label: function (context) {
              var value = spec.type === "doughnut" ? context.parsed : context.parsed[spec.horizontal ? "x" : "y"];
              return context.dataset.label + ": " + formatValue(value, spec.unit);
            }
          }
        }
      },
      onClick: function (event, elements) {
        openLink(spec, elements);
      },
      onHover: function (event, elements) {
        event.native.target.style.cursor = elements.length ? "pointer" : "default";
      }
    };
    if (spec.type !== "doughnut") {
      var labelAxis = { ticks: { autoSkip: false } };
      opts.indexAxis = spec.horizontal ? "y" : "x";
      opts.scales = spec.horizontal ? { x: countAxis, y: labelAxis } : { x: labelAxis, y: countAxis };
    }
    return opts;
  }

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var spec = specs[canvas.getAttribute("data-chart")];
    if (!spec) {
      return;
    }
    new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets(spec) },
      options: options(spec)
    });
  });
})();
