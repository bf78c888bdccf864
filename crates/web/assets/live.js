// Live panels: a page with #live[data-ws][data-panel][data-target] listens on that
// WebSocket; on "changed" it fetches its panel again with htmx. Reconnects with backoff.
(function () {
  "use strict";
  let delay = 500, stale = false;
  function refresh() {
    const live = document.getElementById("live");
    stale = false;
    htmx.ajax("GET", live.dataset.panel + location.search, { target: live.dataset.target, swap: "innerHTML" });
  }
  document.addEventListener("change", function () {
    const live = document.getElementById("live");
    if (stale && live && !document.querySelector(live.dataset.target + " input[type=checkbox]:checked")) refresh();
  });
  function connect() {
    const live = document.getElementById("live");
    if (!live) return;
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + live.dataset.ws);
    ws.onopen = function () { delay = 500; live.textContent = live.dataset.on; live.className = "live on"; };
    ws.onmessage = function (m) {
      if (m.data !== "changed") return;
      // A person half-way through ticking rows keeps them: refresh once nothing is ticked.
      if (document.querySelector(live.dataset.target + " input[type=checkbox]:checked")) { stale = true; return; }
      refresh();
    };
    ws.onclose = function () {
      live.textContent = live.dataset.off; live.className = "live off";
      setTimeout(connect, delay); delay = Math.min(delay * 2, 10000);
    };
  }
  document.addEventListener("DOMContentLoaded", connect);
})();
