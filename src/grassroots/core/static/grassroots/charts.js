/* The dashboard's charts: Apache ECharts (vendored, vendor/echarts/) draws each table's picture.
 *
 * The Content-Security-Policy allows no inline script, so the page carries the charts as data
 * (`{{ charts|json_script:"dashboard-charts" }}`, a JSON block the browser never runs) and every
 * <div data-chart="name"> is drawn here from its spec (insights/charts.py says what a spec holds).
 * The tooltip is drawn on the canvas ("richText"): ECharts' HTML tooltip would write style
 * attributes, which the policy refuses. Without JavaScript the charts stay hidden; the tables
 * beside them hold every number.
 *
 * Readable on a projector: large type, thick lines, a palette of strong, distinct colours on white.
 * At 360 px the chart takes the column's width and redraws when it changes.
 */
(function () {
  "use strict";

  var PALETTE = ["#1f4e9c", "#c0392b", "#1e7b3a", "#b35c00", "#6a3d9a", "#007a87"];
  var INK = "#111";
  var GRID_LINE = "#c8c8c8";

  function percent(value) {
    return value === null || value === undefined ? "—" : (value * 100).toFixed(1) + "%";
  }

  function fontSize(width) {
    return width < 480 ? 13 : 16;
  }

  function axisFor(spec, kind, size) {
    var rate = kind === "rate";
    return {
      type: "value",
      min: 0,
      max: rate ? 1 : null,
      minInterval: rate ? null : 1,
      axisLabel: {
        color: INK,
        fontSize: size,
        formatter: rate ? function (v) { return Math.round(v * 100) + "%"; } : null,
      },
      splitLine: { lineStyle: { color: GRID_LINE } },
    };
  }

  function optionFor(spec, width) {
    var size = fontSize(width);
    var kinds = [];
    spec.series.forEach(function (s) { if (kinds.indexOf(s.axis) < 0) kinds.push(s.axis); });
    var values = kinds.map(function (kind) { return axisFor(spec, kind, size); });
    var category = {
      type: "category",
      data: spec.categories,
      inverse: !!spec.horizontal,
      axisLabel: {
        color: INK,
        fontSize: size,
        width: spec.horizontal ? Math.max(80, Math.round(width * 0.35)) : null,
        overflow: "truncate",
        hideOverlap: true,
      },
      axisLine: { lineStyle: { color: INK } },
    };
    var series = spec.series.map(function (s) {
      var rate = s.axis === "rate";
      return {
        name: s.name,
        type: s.type,
        data: s.values,
        connectNulls: false,
        symbolSize: 9,
        lineStyle: { width: 4 },
        barMaxWidth: 48,
        xAxisIndex: spec.horizontal ? kinds.indexOf(s.axis) : 0,
        yAxisIndex: spec.horizontal ? 0 : kinds.indexOf(s.axis),
        label: {
          show: spec.series.length === 1,
          position: spec.horizontal ? "right" : "top",
          color: INK,
          fontSize: size,
          formatter: function (p) { return rate ? percent(p.value) : String(p.value); },
        },
        tooltip: { valueFormatter: rate ? percent : null },
      };
    });
    return {
      animation: false,
      color: PALETTE,
      aria: { enabled: true },
      textStyle: { fontSize: size, color: INK },
      tooltip: { trigger: "axis", renderMode: "richText", textStyle: { fontSize: size } },
      legend: spec.series.length > 1
        ? { top: 0, textStyle: { fontSize: size, color: INK }, itemWidth: 28, itemHeight: 14 }
        : { show: false },
      grid: {
        left: 8,
        right: spec.horizontal ? 56 : 8,
        top: spec.series.length > 1 ? (width < 480 ? 64 : 44) : 16,
        bottom: 8,
        containLabel: true,
      },
      xAxis: spec.horizontal ? values : category,
      yAxis: spec.horizontal ? category : values,
      series: series,
    };
  }

  function draw() {
    var data = document.getElementById("dashboard-charts");
    if (!data || typeof echarts === "undefined") return;
    var specs = JSON.parse(data.textContent);
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var spec = specs[element.dataset.chart];
      if (!spec || !spec.categories.length) return;
      var box = element.closest(".chart-box");
      if (box) box.hidden = false;
      var chart = echarts.init(element, null, { renderer: "canvas" });
      var width = element.clientWidth;
      chart.setOption(optionFor(spec, width));
      element.dataset.drawn = "true";
      new ResizeObserver(function () {
        if (element.clientWidth === width) return;
        width = element.clientWidth;
        chart.setOption(optionFor(spec, width), true);
        chart.resize();
      }).observe(element);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
