// The dashboard's charts (ECharts, vendored): the data comes from the page's #chart-data; a click on a
// slice opens the list of households behind it, as the numbers beside the charts do.
(function () {
  var el = document.getElementById("chart-data");
  if (!el || !window.echarts) return;
  var data = JSON.parse(el.textContent);
  function chart(id) {
    var node = document.getElementById(id);
    if (!node) return null;
    var c = echarts.init(node, null, { renderer: "svg" });
    window.addEventListener("resize", function () { c.resize(); });
    return c;
  }
  var years = chart("chart-years");
  if (years) {
    years.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { data: ["脱贫人口", "减贫计划", "返贫人口", "贫困发生率"] },
      grid: { left: 56, right: 56, top: 40, bottom: 28 },
      xAxis: { type: "category", data: data.years },
      yAxis: [{ type: "value", name: "人" }, { type: "value", name: "%", splitLine: { show: false } }],
      series: [
        { name: "脱贫人口", type: "bar", data: data.exits, itemStyle: { color: "#2f7d4f" } },
        { name: "减贫计划", type: "line", data: data.plans, itemStyle: { color: "#9a6b00" } },
        { name: "返贫人口", type: "bar", data: data.relapses, itemStyle: { color: "#b3261e" } },
        { name: "贫困发生率", type: "line", yAxisIndex: 1, data: data.incidence, itemStyle: { color: "#1f5fa8" } }
      ]
    });
  }
  function pie(id, items) {
    var c = chart(id);
    if (!c) return;
    c.setOption({
      animation: false,
      tooltip: { trigger: "item", formatter: "{b}：{c} 户（{d}%）" },
      series: [{ type: "pie", radius: ["35%", "70%"], data: items.filter(function (i) { return i.value > 0; }),
                 label: { formatter: "{b} {c}" } }]
    });
    c.on("click", function (p) { if (p.data && p.data.url) window.location.href = p.data.url; });
  }
  pie("chart-types", data.types);
  pie("chart-causes", data.causes);
})();
