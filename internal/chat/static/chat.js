// millrace chat page. Everything from the server is rendered with textContent, never
// as HTML.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const log = $("log"), text = $("text"), status = $("status");
  let ws = null, room = "", name = "", retry = 0, seq = 0, timer = null;
  const shown = new Set(); // message ids already on the page

  function line(cls, who, body, when) {
    const li = document.createElement("li");
    li.className = cls;
    if (when) {
      const t = document.createElement("span");
      t.className = "when";
      t.textContent = new Date(when).toLocaleTimeString();
      li.appendChild(t);
    }
    if (who) {
      const w = document.createElement("span");
      w.className = "who";
      w.textContent = who;
      li.appendChild(w);
    }
    const b = document.createElement("span");
    b.className = "text";
    b.textContent = body;
    li.appendChild(b);
    log.appendChild(li);
    li.scrollIntoView({ block: "end" });
  }

  function showMessage(m) {
    if (shown.has(m.message_id)) return;
    shown.add(m.message_id);
    line("message", m.name, m.text, m.sent_at);
  }

  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const url = proto + "//" + location.host + "/ws?room=" + encodeURIComponent(room) + "&name=" + encodeURIComponent(name);
    status.textContent = "connecting…";
    ws = new WebSocket(url);
    ws.onopen = () => {
      retry = 0;
      status.textContent = "connected to " + room + " as " + name;
      text.disabled = false;
      text.focus();
    };
    ws.onmessage = (e) => {
      let f;
      try { f = JSON.parse(e.data); } catch { return; }
      switch (f.type) {
        case "history": (f.messages || []).forEach(showMessage); break;
        case "message": showMessage(f); break;
        case "user_joined": line("presence", "", f.name + " joined", f.joined_at); break;
        case "user_left": line("presence", "", f.name + " left", f.left_at); break;
        case "result": if (!f.ok) line("error", "", "not sent: " + f.reason); break;
      }
    };
    ws.onclose = (e) => {
      text.disabled = true;
      const wait = Math.min(10000, 500 * 2 ** retry++);
      status.textContent = "disconnected (" + e.code + "), reconnecting in " + Math.round(wait / 1000) + "s";
      timer = setTimeout(connect, wait);
    };
  }

  $("join").addEventListener("submit", (e) => {
    e.preventDefault();
    room = $("room").value;
    name = $("name").value;
    if (ws) { ws.onclose = null; ws.close(); }
    clearTimeout(timer);
    log.replaceChildren();
    shown.clear();
    connect();
  });

  text.addEventListener("keydown", (e) => {
    if (e.key !== "Enter" || e.shiftKey || !ws || ws.readyState !== WebSocket.OPEN) return;
    e.preventDefault();
    if (text.value.trim() === "") return;
    ws.send(JSON.stringify({ type: "message", request_id: "r" + ++seq, text: text.value }));
    text.value = "";
  });
})();
