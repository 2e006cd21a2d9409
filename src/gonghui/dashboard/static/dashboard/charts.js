/* The dashboard's charts: Apache ECharts (static/vendor/echarts.min.js, from npm) over the data
   the page passes in <script type="application/json" id="dashboard-charts"> (json_script; no
   inline script, the CSP stays strict). Each <div class="gh-chart" data-chart="<name>"
   data-type="line|bar"> draws charts[name] = {title, labels, values}. */
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("dashboard-charts");
    if (!source || typeof echarts === "undefined") { return; }
    var charts = JSON.parse(source.textContent);
    var drawn = [];
    document.querySelectorAll(".gh-chart[data-chart]").forEach(function (box) {
      var data = charts[box.getAttribute("data-chart")];
      if (!data || !data.labels.length) { box.classList.add("gh-chart-empty"); return; }
      var type = box.getAttribute("data-type") === "bar" ? "bar" : "line";
      var horizontal = type === "bar" && data.labels.length > 6;
      var chart = echarts.init(box, null, { renderer: "svg" });
      var categories = { type: "category", data: data.labels, axisLabel: { interval: 0, hideOverlap: true } };
      var numbers = { type: "value", minInterval: 1 };
      chart.setOption({
        color: ["#c8102e"],
        grid: { left: horizontal ? 120 : 48, right: 24, top: 16, bottom: horizontal ? 24 : 56 },
        tooltip: { trigger: "axis" },
        xAxis: horizontal ? numbers : Object.assign({}, categories, { axisLabel: { rotate: data.labels.length > 8 ? 45 : 0, hideOverlap: true } }),
        yAxis: horizontal ? Object.assign({}, categories, { inverse: true }) : numbers,
        series: [{ name: data.title, type: type, data: data.values, areaStyle: type === "line" ? { opacity: 0.08 } : undefined }]
      });
      drawn.push(chart);
    });
    window.addEventListener("resize", function () { drawn.forEach(function (c) { c.resize(); }); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
