// Draws the dashboard's charts with uPlot from the JSON the page carries.
(function () {
  "use strict";
  const COLORS = ["#0b5fa5", "#e07b00", "#2f855a", "#c0392b", "#6b46c1", "#0f9d9a", "#b7791f", "#5f6f7c", "#d53f8c", "#2b6cb0", "#718096", "#38a169"];
  function width(el) { return Math.max(300, el.clientWidth - 4); }
  // Counts: the axis starts at zero and ticks only at whole numbers, so 4 beside 7 reads as 4.
  const WHOLE = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000, 1000000];
  function fromZero(u, min, max) { return [0, Math.max(1, max == null ? 1 : Math.ceil(max * 1.1))]; }
  const COUNT_AXIS = { incrs: WHOLE, values: function (u, vs) { return vs.map(function (v) { return Number.isInteger(v) ? String(v) : ""; }); } };
  // After each draw, where the value axis starts and its ticks, for a reader of the page.
  const MARK = { draw: [function (u) {
    const box = u.root.parentNode;
    box.dataset.yMin = String(u.scales.y.min);
    const splits = u.axes[1] && u.axes[1]._splits;
    if (splits) box.dataset.yTicks = splits.join(" ");
  }] };
  function lines(el, x, series, opts) {
    const data = [x].concat(series.map(function (s) { return s.values; }));
    const u = new uPlot({
      width: width(el), height: 240,
      series: [{ label: document.documentElement.lang === "en" ? "Day" : "日期" }].concat(series.map(function (s, i) {
        return { label: s.label, stroke: COLORS[i % COLORS.length], width: 2, value: opts && opts.pct ? function (u, v) { return v == null ? "—" : (v * 100).toFixed(1) + "%"; } : undefined };
      })),
      axes: [{}, opts && opts.pct ? { values: function (u, vs) { return vs.map(function (v) { return (v * 100).toFixed(0) + "%"; }); } } : COUNT_AXIS],
      scales: opts && opts.pct ? { y: { range: [0, 1] } } : { y: { range: fromZero } },
      hooks: MARK,
    }, data, el);
    return u;
  }
  function bars(el, items, valueKey) {
    if (!items.length) return null;
    const xs = items.map(function (_, i) { return i; });
    const ys = items.map(function (it) { return it[valueKey]; });
    const bar = uPlot.paths.bars({ size: [0.6, 60] });
    return new uPlot({
      width: width(el), height: 240,
      scales: { x: { time: false, range: [-0.5, items.length - 0.5] }, y: { range: fromZero } },
      series: [{ label: "" }, { label: "", fill: "#0b5fa5cc", stroke: "#0b5fa5", paths: bar, points: { show: false } }],
      axes: [{ values: function (u, vs) { return vs.map(function (v) { return Number.isInteger(v) && items[v] ? items[v].label : ""; }); }, rotate: 0, size: 40, gap: 4 }, COUNT_AXIS],
      legend: { show: false },
      hooks: MARK,
    }, [xs, ys], el);
  }
  function draw() {
    const node = document.getElementById("chart-data");
    if (!node || typeof uPlot === "undefined") return;
    const d = JSON.parse(node.textContent);
    const charts = [];
    const el = function (id) { return document.getElementById(id); };
    if (d.x.length) {
      charts.push(lines(el("chart-type"), d.x, d.by_type.slice(0, 8)));
      charts.push(lines(el("chart-compliance"), d.x, [
        { label: d.labels.on_time, values: d.on_time },
        { label: d.labels.satisfied, values: d.satisfied },
      ], { pct: true }));
    }
    charts.push(bars(el("chart-channel"), d.by_channel.map(function (s) { return { label: s.label, v: s.total }; }), "v"));
    charts.push(bars(el("chart-class"), d.by_class.map(function (s) { return { label: s.label, v: s.total }; }), "v"));
    charts.push(bars(el("chart-areas"), d.top_areas.slice(0, 10).map(function (a) { return { label: a.label.replace(/台区$/, ""), v: a.complaints }; }), "v"));
    document.body.dataset.charts = String(charts.filter(Boolean).length);
    window.addEventListener("resize", function () {
      charts.forEach(function (u) { if (u) u.setSize({ width: width(u.root.parentNode), height: 240 }); });
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
