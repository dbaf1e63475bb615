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
        // Straight segments between the months, a gap where a month has no data: nothing drawn is invented.
        out.fill = false;
        out.tension = spec.tension || 0;
        out.cubicInterpolationMode = "default";
        out.spanGaps = Boolean(spec.span_gaps);
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
    return (unit === "hours" || unit === "minutes" ? value.toFixed(1) : String(value)) + (unit ? " " + unit : "");
  }

  var LABEL_WIDTH = 30; // characters per line of a horizontal chart's label

  // A long label is wrapped on words (never cut): an array of lines, which Chart.js gives the room it needs.
  function wrap(text, width) {
    var lines = [];
    String(text).split(" ").forEach(function (word) {
      var last = lines.length - 1;
      if (last >= 0 && (lines[last] + " " + word).length <= width) {
        lines[last] += " " + word;
      } else {
        lines.push(word);
      }
    });
    return lines.length > 1 ? lines : String(text);
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
    var countAxis = { beginAtZero: true, ticks: { precision: spec.unit === "hours" || spec.unit === "minutes" ? undefined : 0 } };
    if (spec.unit) {
      countAxis.title = { display: true, text: spec.unit.charAt(0).toUpperCase() + spec.unit.slice(1) };
    }
    var opts = {
      responsive: true,
      maintainAspectRatio: false,
      plugins: {
        legend: { display: spec.type === "doughnut" || spec.datasets.length > 1, position: "bottom" },
        tooltip: {
          callbacks: {
            title: function (items) {
              return items.length ? spec.labels[items[0].dataIndex] : "";
            },
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
      var labelAxis = {
        ticks: {
          autoSkip: false,
          callback: function (value) {
            return wrap(this.getLabelForValue(value), spec.horizontal ? LABEL_WIDTH : 16);
          }
        }
      };
      if (spec.label_axis) {
        labelAxis.title = { display: true, text: spec.label_axis };
      }
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
    if (spec.horizontal) {
      // The box grows with the labels: each row as tall as its wrapped label or its bars, whichever is taller.
      var height = 60;
      spec.labels.forEach(function (label) {
        var lines = wrap(label, LABEL_WIDTH);
        height += Math.max((Array.isArray(lines) ? lines.length : 1) * 15 + 10, spec.datasets.length * 18 + 10);
      });
      canvas.parentNode.style.height = Math.max(240, height) + "px";
    }
    new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets(spec) },
      options: options(spec)
    });
  });
})();
