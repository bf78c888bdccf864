// The board listens on a WebSocket; on "changed" it fetches its panel again with htmx.
(function () {
  "use strict";
  let delay = 500;
  function connect() {
    const live = document.getElementById("live");
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/board/ws");
    ws.onopen = function () { delay = 500; live.textContent = live.dataset.on; live.className = "live on"; };
    ws.onmessage = function (m) {
      if (m.data === "changed") htmx.ajax("GET", "/board/panel", { target: "#board-panel", swap: "innerHTML" });
    };
    ws.onclose = function () {
      live.textContent = live.dataset.off; live.className = "live off";
      setTimeout(connect, delay); delay = Math.min(delay * 2, 10000);
    };
  }
  document.addEventListener("DOMContentLoaded", connect);
})();
