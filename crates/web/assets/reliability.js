// Draws the reliability page's monthly charts with uPlot from the JSON the page carries:
// SAIDI and SAIFI of all events (bars) and without major event days (lines), MAIFI_E, and
// the voltage pass rate of the scope's transformer areas.
(function () {
  "use strict";
  const BLUE = "#0b5fa5", ORANGE = "#e07b00", GREEN = "#2f855a", GREY = "#5f6f7c";
  function width(el) { return Math.max(300, el.clientWidth - 4); }
  function fixed(places) {
    return function (u, v) { return v == null ? "—" : v.toFixed(places); };
  }
  // Months as yy-mm, every other one (or fewer) when they would not fit.
  function monthAxis(d) {
    return {
      values: function (u, vs) {
        const step = Math.max(1, Math.ceil(d.x.length * 46 / u.width));
        return vs.map(function (v) {
          const i = d.x.indexOf(v);
          return i >= 0 && i % step === 0 ? d.months[i].slice(2) : "";
        });
      },
      splits: function () { return d.x; },
      space: 30,
    };
  }
  function chart(el, d, series, opts) {
    if (!el) return null;
    const months = d.x.length;
    const data = [d.x].concat(series.map(function (s) { return s.values; }));
    const half = months > 1 ? (d.x[1] - d.x[0]) / 2 : 15 * 86400;
    return new uPlot({
      width: width(el), height: 240,
      scales: {
        x: { time: false, range: function () { return [d.x[0] - half, d.x[months - 1] + half]; } },
        y: opts.pct ? { range: function (u, min) { return [Math.min(0.9, Math.floor((min == null ? 1 : min) * 20) / 20), 1]; } } : {},
      },
      series: [{ label: d.labels.month, value: function (u, v) { const i = d.x.indexOf(v); return i >= 0 ? d.months[i] : ""; } }].concat(series.map(function (s) {
        return {
          label: s.label,
          stroke: s.color,
          fill: s.bars ? s.color + "cc" : undefined,
          width: s.bars ? 1 : 2,
          paths: s.bars ? s.paths : undefined,
          points: { show: !s.bars },
          value: opts.pct ? function (u, v) { return v == null ? "—" : (v * 100).toFixed(2) + "%"; } : fixed(opts.places || 2),
        };
      })),
      axes: [monthAxis(d), opts.pct ? { size: 64, values: function (u, vs) { return vs.map(function (v) { return (v * 100).toFixed(1) + "%"; }); } } : { size: 56 }],
    }, data, el);
  }
  // The first series as bars, the others as lines with points over them.
  function mixed(el, d, list, places) {
    const bar = uPlot.paths.bars({ size: [0.6, 60] });
    return chart(el, d, list.map(function (s, i) {
      return { label: s.label, values: s.values, color: s.color, bars: i === 0, paths: i === 0 ? bar : undefined };
    }), { places: places });
  }
  function draw() {
    const node = document.getElementById("chart-data");
    if (!node || typeof uPlot === "undefined") return;
    const d = JSON.parse(node.textContent);
    if (!d.x.length) return;
    const el = function (id) { return document.getElementById(id); };
    const L = d.labels;
    const charts = [
      mixed(el("chart-saidi"), d, [
        { label: L.saidi + " · " + L.all, values: d.saidi, color: BLUE },
        { label: L.saidi + " · " + L.excl, values: d.saidi_excl, color: ORANGE },
      ], 2),
      mixed(el("chart-saifi"), d, [
        { label: L.saifi + " · " + L.all, values: d.saifi, color: BLUE },
        { label: L.saifi + " · " + L.excl, values: d.saifi_excl, color: ORANGE },
        { label: L.maifi, values: d.maifi, color: GREY },
      ], 4),
      chart(el("chart-voltage"), d, [{ label: L.voltage, values: d.voltage, color: GREEN }], { pct: true }),
    ];
    document.body.dataset.charts = String(charts.filter(Boolean).length);
    window.addEventListener("resize", function () {
      charts.forEach(function (u) { if (u) u.setSize({ width: width(u.root.parentNode), height: 240 }); });
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
