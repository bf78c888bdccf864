// voltdesk pages: live remaining time on clocks, keyboard shortcuts, select-all, CSV upload
// with progress. No framework; htmx does the partial updates.
(function () {
  "use strict";
  const zh = document.documentElement.lang !== "en";
  function span(ms) {
    const m = Math.ceil(Math.abs(ms) / 60000), d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60), mi = m % 60;
    if (zh) return d ? d + "天" + h + "小时" : h ? h + "小时" + mi + "分" : mi + "分";
    return d ? d + " d " + h + " h" : h ? h + " h " + mi + " min" : mi + " min";
  }
  function tick() {
    const now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) {
      const due = Number(el.dataset.due), warn = Number(el.dataset.warn || 0), left = due - now;
      el.textContent = left >= 0 ? (zh ? "剩余 " : "") + span(left) + (zh ? "" : " left") : (zh ? "超时 " : "") + span(left) + (zh ? "" : " late");
      el.classList.toggle("late", left < 0);
      el.classList.toggle("warn", left >= 0 && warn > 0 && now >= warn);
    });
  }
  setInterval(tick, 15000);
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSwap", tick);

  // Shortcuts: "/" search, "n" new order (where the page offers one), Esc leaves a field.
  // In the desk's search box: ↓ goes to the hits, Enter opens the first one.
  document.addEventListener("keydown", function (e) {
    const t = e.target;
    if (!t || t.id !== "q" || e.ctrlKey || e.metaKey || e.altKey) return;
    const first = document.querySelector(".results a.hit");
    if (!first) return;
    if (e.key === "ArrowDown") { e.preventDefault(); first.focus(); }
    else if (e.key === "Enter") { e.preventDefault(); first.click(); }
  });
  document.addEventListener("keydown", function (e) {
    const t = e.target, typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT");
    if (e.key === "Escape" && typing) { t.blur(); return; }
    if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "/") { const s = document.getElementById("q"); if (s) { e.preventDefault(); s.focus(); s.select(); } }
    else if (e.key === "n") { const a = document.querySelector("[data-key=n]"); if (a) { e.preventDefault(); a.click(); } }
    else if (e.key === "Escape") { const a = document.querySelector("[data-key=esc]"); if (a) a.click(); }
    else if (e.key === "ArrowDown") { const hits = document.querySelectorAll(".results a.hit"); if (hits.length) { e.preventDefault(); hits[0].focus(); } }
  });
  document.addEventListener("keydown", function (e) {
    const t = e.target;
    if (!t || !t.classList || !t.classList.contains("hit")) return;
    if (e.key === "ArrowDown" && t.nextElementSibling) { e.preventDefault(); t.nextElementSibling.focus(); }
    if (e.key === "ArrowUp") { e.preventDefault(); (t.previousElementSibling || document.getElementById("q")).focus(); }
  });

  // Ctrl+Enter saves the form that asks for it (the new order).
  document.addEventListener("keydown", function (e) {
    const f = e.target && e.target.closest && e.target.closest("form[data-ctrl-enter]");
    if (f && e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); f.requestSubmit(); }
  });

  document.addEventListener("change", function (e) {
    const group = e.target && e.target.dataset && e.target.dataset.checkAll;
    if (group) {
      document.querySelectorAll("input[data-check='" + group + "']").forEach(function (c) { c.checked = e.target.checked; });
    }
    if (e.target && e.target.id === "select-all") {
      document.querySelectorAll("input[name=ids]").forEach(function (c) { c.checked = e.target.checked; });
    }
  });

  // CSV import: upload with a progress bar, then follow the server's progress.
  document.addEventListener("submit", function (e) {
    const f = e.target;
    if (!f.matches || !f.matches("form[data-upload]")) return;
    e.preventDefault();
    const file = f.querySelector("input[type=file]").files[0];
    if (!file) return;
    const bar = f.querySelector(".progress div"), note = f.querySelector(".note");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", f.action);
    xhr.upload.onprogress = function (p) { if (p.lengthComputable) { bar.style.width = (50 * p.loaded / p.total) + "%"; note.textContent = f.dataset.uploading + " " + Math.round(100 * p.loaded / p.total) + "%"; } };
    xhr.onload = function () {
      let r = {}; try { r = JSON.parse(xhr.responseText); } catch (_) {}
      if (xhr.status !== 202 || !r.job) { note.textContent = (r.error && r.error.message) || xhr.statusText; return; }
      const poll = function () {
        fetch("/admin/imports/" + r.job).then(function (x) { return x.json(); }).then(function (s) {
          bar.style.width = (50 + 50 * (s.total ? s.done / s.total : 0)) + "%";
          note.textContent = s.message;
          if (s.state === "running") setTimeout(poll, 300);
          else bar.style.background = s.state === "done" ? "#2f855a" : "#c0392b";
        });
      };
      poll();
    };
    xhr.setRequestHeader("content-type", "text/csv");
    xhr.send(file);
  });
})();

// The bell: the unread count of the signed-in user's notifications, live over a WebSocket
// that sends {"unread": n, "latest": {...}} on connect and on each change; a new one is
// shown for a few seconds. Reconnects with backoff.
(function () {
  "use strict";
  let delay = 500, lastSeen = null;
  function show(n) {
    const t = document.getElementById("toast");
    if (!t) return;
    t.textContent = "";
    const a = document.createElement(n.href ? "a" : "span");
    if (n.href) a.href = n.href;
    const b = document.createElement("b");
    b.textContent = n.title;
    a.appendChild(b);
    if (n.detail) a.appendChild(document.createTextNode(" " + n.detail));
    t.appendChild(a);
    t.hidden = false;
    clearTimeout(show.timer);
    show.timer = setTimeout(function () { t.hidden = true; }, 8000);
  }
  function connect() {
    const bell = document.getElementById("bell");
    if (!bell) return;
    const count = document.getElementById("bell-count");
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/notifications/ws");
    ws.onopen = function () { delay = 500; };
    ws.onmessage = function (m) {
      let d;
      try { d = JSON.parse(m.data); } catch (e) { return; }
      count.textContent = d.unread > 99 ? "99+" : String(d.unread);
      count.hidden = !(d.unread > 0);
      bell.dataset.count = String(d.unread);
      bell.classList.toggle("has", d.unread > 0);
      const latest = d.latest;
      if (latest && lastSeen !== null && latest.id > lastSeen) show(latest);
      if (latest && (lastSeen === null || latest.id > lastSeen)) lastSeen = latest.id;
      if (lastSeen === null) lastSeen = 0;
    };
    ws.onclose = function () { setTimeout(connect, delay); delay = Math.min(delay * 2, 30000); };
  }
  document.addEventListener("DOMContentLoaded", connect);
})();

// The order page's attachments: the chosen file is posted as the raw body to the API with
// its name in ?name=, a progress bar follows the upload, and the list is drawn again from
// the page. A refusal is shown in the page's words.
(function () {
  document.addEventListener("submit", function (e) {
    const f = e.target;
    if (!f.matches || !f.matches("form[data-attach]")) return;
    e.preventDefault();
    const input = f.querySelector("input[type=file]");
    const file = input.files[0];
    if (!file) return;
    const bar = f.querySelector(".progress"), fill = bar.querySelector("div");
    const note = f.querySelector(".note"), button = f.querySelector("button");
    const fail = function (text) { note.textContent = text; note.classList.add("field-error"); bar.hidden = true; button.disabled = false; };
    if (file.size > Number(f.dataset.max)) { fail(f.dataset.tooLarge); return; }
    note.classList.remove("field-error");
    note.textContent = f.dataset.busy;
    bar.hidden = false; fill.style.width = "0%"; button.disabled = true;
    const xhr = new XMLHttpRequest();
    xhr.open("POST", f.dataset.attach + "?name=" + encodeURIComponent(file.name));
    xhr.upload.onprogress = function (p) {
      if (p.lengthComputable) fill.style.width = Math.round(100 * p.loaded / p.total) + "%";
    };
    xhr.onerror = function () { fail(f.dataset.failed); };
    xhr.onload = function () {
      let r = {}; try { r = JSON.parse(xhr.responseText); } catch (_) {}
      if (xhr.status !== 201) {
        const code = r.error && r.error.code;
        fail(code === "payload_too_large" ? f.dataset.tooLarge
          : code === "unsupported_attachment" ? f.dataset.unsupported : f.dataset.failed);
        return;
      }
      fetch(location.pathname, { credentials: "same-origin" })
        .then(function (x) { return x.text(); })
        .then(function (html) {
          const page = new DOMParser().parseFromString(html, "text/html");
          const fresh = page.getElementById("attachment-list");
          if (fresh) document.getElementById("attachment-list").replaceWith(fresh);
          note.textContent = ""; bar.hidden = true; button.disabled = false; input.value = "";
        });
    };
    // Sniffed by the server; a form type would be refused under the session cookie.
    xhr.setRequestHeader("content-type", "application/octet-stream");
    xhr.send(file);
  });
})();

// The order page's reply templates: picking one puts its words, already filled in for the
// order by the server (data-body), in the reply's text box of the same form.
(function () {
  document.addEventListener("change", function (e) {
    const s = e.target;
    if (!s.matches || !s.matches("select[data-fills]")) return;
    const picked = s.options[s.selectedIndex];
    const box = s.form && s.form.querySelector("textarea[name='" + s.dataset.fills + "']");
    if (!picked || !picked.value || !box) return;
    box.value = picked.dataset.body || "";
    box.dispatchEvent(new Event("input", { bubbles: true }));
    box.focus();
  });
})();
