// millrace chat page. Everything from the server is rendered with textContent, never
// as HTML.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const log = $("log"), text = $("text"), send = $("send"), status = $("status");
  const list = $("members"), count = $("member-count");
  let ws = null, room = "", name = "", attempt = 0, seq = 0, timer = null;
  let me = "";              // the id of this page's current connection
  let pending = null;       // the message waiting for its result: {id, text}
  const mine = new Set();   // ids of this page's connections, to mark own messages
  const shown = new Set();  // message ids already on the page
  const members = new Map(); // connection id -> name, of the members online
  const gone = new Set();   // connection ids seen leaving
  const ids = new Map();    // name -> connection ids seen with it

  // A close status 4000-4999 is a refusal: the reason says why, and trying again with
  // the same room and name gets the same answer.
  const isRefusal = (code) => code >= 4000 && code <= 4999;

  function setStatus(state, msg) {
    status.dataset.state = state;
    status.textContent = msg;
  }

  // see records that connection id uses name; once a second connection has used it,
  // every message of that name in the log is tagged with its sender's connection. This
  // page's own connections (one per reconnect) count as one.
  function see(who, id) {
    if (!id) return;
    const key = mine.has(id) ? "me" : id;
    let s = ids.get(who);
    if (!s) ids.set(who, (s = new Set()));
    if (s.has(key)) return;
    s.add(key);
    if (s.size !== 2) return;
    log.querySelectorAll(".who").forEach((el) => {
      if (el.dataset.name === who) label(el, who, el.dataset.connectionId, true);
    });
  }

  const shared = (who) => (ids.get(who) || new Set()).size > 1;

  // label shows who in el, tagged with the start of the connection id when tag is set.
  function label(el, who, id, tag) {
    el.dataset.name = who;
    el.dataset.connectionId = id || "";
    el.replaceChildren(who);
    if (id && tag) {
      const t = document.createElement("span");
      t.className = "tag";
      t.textContent = " #" + id.slice(0, 6);
      el.appendChild(t);
    }
  }

  // renderMembers lists the members online; members of one name are tagged.
  function renderMembers() {
    const online = new Map();
    members.forEach((who) => online.set(who, (online.get(who) || 0) + 1));
    const sorted = [...members].sort(([a, x], [b, y]) => (x < y ? -1 : x > y ? 1 : a < b ? -1 : 1));
    list.replaceChildren(...sorted.map(([id, who]) => {
      const li = document.createElement("li");
      const w = document.createElement("span");
      w.className = "who";
      label(w, who, id, online.get(who) > 1);
      li.appendChild(w);
      if (id === me) {
        li.className = "me";
        li.append(" (you)");
      }
      return li;
    }));
    count.textContent = members.size ? "(" + members.size + ")" : "";
  }

  function addMember(who, id) {
    if (gone.has(id)) return;
    see(who, id);
    members.set(id, who);
  }

  function line(cls, who, id, body, when) {
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
      label(w, who, id, shared(who));
      li.appendChild(w);
    }
    const b = document.createElement("span");
    b.className = "text";
    b.textContent = body;
    li.appendChild(b);
    log.appendChild(li);
    li.scrollIntoView({ block: "end" });
    return li;
  }

  function showMessage(m) {
    if (shown.has(m.message_id)) return;
    shown.add(m.message_id);
    see(m.name, m.connection_id);
    const li = line("message", m.name, m.connection_id, m.text, m.sent_at);
    if (m.connection_id && mine.has(m.connection_id)) li.classList.add("own");
  }

  function result(f) {
    if (!pending || f.request_id !== pending.id) {
      if (!f.ok) line("error", "", "", "not sent: " + f.reason);
      return;
    }
    if (f.ok) {
      // Keep what was typed after the message was sent.
      if (text.value.startsWith(pending.text)) text.value = text.value.slice(pending.text.length);
    } else {
      line("error", "", "", "not sent: " + f.reason);
    }
    pending = null;
  }

  function connect() {
    timer = null;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const url = proto + "//" + location.host + "/ws?room=" + encodeURIComponent(room) + "&name=" + encodeURIComponent(name);
    setStatus("connecting", "connecting…");
    ws = new WebSocket(url);
    ws.onmessage = (e) => {
      let f;
      try { f = JSON.parse(e.data); } catch { return; }
      switch (f.type) {
        case "history":
          // The first frame: the server took this connection.
          attempt = 0;
          me = f.connection_id || "";
          mine.add(me);
          addMember(name, me);
          renderMembers();
          (f.messages || []).forEach(showMessage);
          setStatus("connected", "connected to " + room + " as " + name);
          text.disabled = send.disabled = false;
          text.focus();
          break;
        case "members":
          (f.members || []).forEach((m) => addMember(m.name, m.connection_id));
          renderMembers();
          break;
        case "user_joined":
          addMember(f.name, f.connection_id);
          renderMembers();
          line("presence", "", "", f.name + " joined", f.joined_at);
          break;
        case "user_left":
          gone.add(f.connection_id);
          members.delete(f.connection_id);
          renderMembers();
          line("presence", "", "", f.name + " left", f.left_at);
          break;
        case "message": showMessage(f); break;
        case "result": result(f); break;
      }
    };
    ws.onclose = (e) => {
      ws = null;
      pending = null;
      text.disabled = send.disabled = true;
      members.clear();
      renderMembers();
      if (isRefusal(e.code)) {
        setStatus("refused", "refused: " + (e.reason || "code " + e.code));
        return;
      }
      const wait = Math.min(10000, 500 * 2 ** attempt++);
      setStatus("reconnecting", "connection lost (" + e.code + (e.reason ? " " + e.reason : "") +
        "), reconnecting in " + wait / 1000 + " s");
      timer = setTimeout(connect, wait);
    };
  }

  $("join").addEventListener("submit", (e) => {
    e.preventDefault();
    room = $("room").value;
    name = $("name").value;
    if (ws) { ws.onclose = null; ws.close(); ws = null; }
    clearTimeout(timer);
    attempt = 0;
    pending = null;
    log.replaceChildren();
    shown.clear();
    members.clear();
    gone.clear();
    ids.clear();
    renderMembers();
    text.disabled = send.disabled = true;
    connect();
  });

  // Leaving the page leaves the room at once, also when the browser keeps the page
  // to come back to; coming back joins again.
  window.addEventListener("pagehide", () => {
    clearTimeout(timer);
    if (ws) { ws.onclose = null; ws.close(1000); ws = null; }
  });
  window.addEventListener("pageshow", (e) => {
    if (e.persisted && room) { attempt = 0; connect(); }
  });

  $("send-form").addEventListener("submit", (e) => {
    e.preventDefault();
    if (!ws || ws.readyState !== WebSocket.OPEN || pending || text.value.trim() === "") return;
    pending = { id: "r" + ++seq, text: text.value };
    ws.send(JSON.stringify({ type: "message", request_id: pending.id, text: pending.text }));
  });
})();
