/* 统计: draws each block's chart from the numbers the page carries (json_script), with
   Apache ECharts' SVG renderer, so charts print as sharply as the tables beside them. */
(function () {
  "use strict";
  var source = document.getElementById("statistics-data");
  if (!source || typeof echarts === "undefined") return;
  var charts = JSON.parse(source.textContent);
  var palette = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#dc3545", "#6c757d"];
  var drawn = [];

  function option(spec) {
    var base = { color: palette, animation: false, tooltip: { trigger: spec.type === "pie" || spec.type === "funnel" ? "item" : "axis" } };
    if (spec.type === "pie" || spec.type === "funnel") {
      var data = spec.labels.map(function (label, i) { return { name: label, value: spec.series[0].values[i] }; });
      base.series = [spec.type === "pie"
        ? { type: "pie", radius: ["35%", "65%"], data: data, label: { formatter: "{b}\n{c}" } }
        : { type: "funnel", sort: "none", data: data, label: { formatter: "{b}：{c}" }, left: "10%", width: "80%" }];
      return base;
    }
    base.grid = { left: 8, right: 16, top: spec.series.length > 1 ? 28 : 12, bottom: 8, containLabel: true };
    if (spec.series.length > 1) base.legend = { top: 0 };
    base.xAxis = { type: "category", data: spec.labels, axisLabel: { interval: 0, rotate: spec.labels.length > 6 ? 30 : 0 } };
    base.yAxis = { type: "value", minInterval: 1 };
    base.series = spec.series.map(function (s) {
      return { type: spec.type === "line" ? "line" : "bar", name: s.name, data: s.values };
    });
    return base;
  }

  charts.forEach(function (spec) {
    var box = document.querySelector('[data-chart="' + spec.id + '"]');
    if (!box) return;
    var chart = echarts.init(box, null, { renderer: "svg" });
    chart.setOption(option(spec));
    drawn.push(chart);
  });
  window.addEventListener("resize", function () { drawn.forEach(function (c) { c.resize(); }); });
  var printButton = document.querySelector("[data-print]");
  if (printButton) printButton.addEventListener("click", function () { window.print(); });
})();
