// hotline supervisor page: live quality alerts from /ws/supervisor, the logged-in agents from /api/agents and the
// messages callers left from /api/calls?voicemail=1.
// Plain browser JavaScript, no build step, like the softphone (app.js).
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const S = { me: null, ws: null, retry: 0, alerts: 0, poll: null };
  const MAX_ALERTS = 300;

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function toLogin() { location.href = "/?next=/supervisor"; }

  // ---------- agents ----------
  async function loadAgents() {
    const r = await fetch("/api/agents", { credentials: "same-origin" }).catch(() => null);
    if (!r) return;
    if (r.status === 401) { toLogin(); return; }
    if (!r.ok) return;
    renderAgents(await r.json());
  }
  function renderAgents(list) {
    const tb = $("agents"); tb.textContent = "";
    list.forEach((a) => {
      const tr = el("tr"); tr.dataset.testid = "agent-row"; tr.dataset.name = a.name;
      tr.appendChild(el("td", "", a.name));
      const td = el("td"), p = el("span", "presence", a.presence);
      p.dataset.testid = "agent-presence"; p.dataset.value = a.presence; td.appendChild(p); tr.appendChild(td);
      tr.appendChild(el("td", "mono small", a.call_id ? a.call_id.slice(0, 8) : "—"));
      tr.appendChild(el("td", "small", (a.skills || []).join(", ") || "any"));
      tb.appendChild(tr);
    });
    $("no-agents").hidden = list.length > 0;
    $("agent-count").textContent = list.length ? "(" + list.length + ")" : "";
  }

  // ---------- messages to call back ----------
  async function loadMessages() {
    const r = await fetch("/api/calls?voicemail=1&limit=50", { credentials: "same-origin" }).catch(() => null);
    if (!r || !r.ok) return;
    renderMessages(await r.json());
  }
  function renderMessages(calls) {
    const list = $("messages");
    const key = calls.map((c) => c.id).join(",");
    if (list.dataset.key === key) return; // unchanged: keep any player that is playing
    list.dataset.key = key; list.textContent = "";
    calls.forEach((c) => {
      const vm = c.voicemail || {};
      const li = el("li", "message"); li.dataset.testid = "message"; li.dataset.callId = c.id;
      const head = el("div", "head");
      head.appendChild(el("span", "", new Date(c.started_at).toLocaleString()));
      head.appendChild(el("span", "from", c.caller || "unknown caller"));
      head.appendChild(el("span", "", Math.round((vm.duration_ms || 0) / 1000) + " s"));
      if (c.transfer_reason) head.appendChild(el("span", "", c.transfer_reason.replace(/_/g, " ")));
      li.appendChild(head);
      const words = (c.transcript || []).filter((l) => l.who === "caller" && l.at >= (vm.at || 0)).map((l) => l.text).join(" ");
      li.appendChild(el("div", "text", words ? "“" + words + "”" : "(no words recognised)"));
      if (vm.path) {
        const a = el("audio"); a.controls = true; a.preload = "none"; a.src = "/api/calls/" + encodeURIComponent(c.id) + "/voicemail";
        li.appendChild(a);
      } else {
        li.appendChild(el("div", "muted small", "audio purged"));
      }
      list.appendChild(li);
    });
    $("no-messages").hidden = calls.length > 0;
    const n = $("message-count"); n.dataset.value = String(calls.length); n.textContent = calls.length ? "(" + calls.length + ")" : "";
  }

  // ---------- alerts ----------
  function addAlert(a) {
    const li = el("li", "alert fresh");
    li.dataset.testid = "alert"; li.dataset.kind = a.kind || ""; li.dataset.severity = a.severity || "info";
    li.dataset.callId = a.call_id || "";
    const head = el("div", "head");
    head.appendChild(el("span", "", new Date().toLocaleTimeString()));
    head.appendChild(el("span", "kind", (a.kind || "alert").replace(/_/g, " ")));
    head.appendChild(el("span", "", a.severity || "info"));
    head.appendChild(el("span", "", a.agent || "?"));
    head.appendChild(el("span", "mono", (a.call_id || "").slice(0, 8) + (typeof a.at === "number" ? " @ " + a.at.toFixed(1) + " s" : "")));
    li.appendChild(head);
    if (a.text) li.appendChild(el("div", "text", a.text));
    if (a.phrase || a.suggestion) {
      li.appendChild(el("div", "suggest", (a.phrase ? "“" + a.phrase + "”" : "") + (a.suggestion ? " → say instead: “" + a.suggestion + "”" : "")));
    }
    const list = $("alerts");
    list.prepend(li);
    while (list.children.length > MAX_ALERTS) list.lastChild.remove();
    setTimeout(() => li.classList.remove("fresh"), 1600);
    S.alerts++;
    $("alert-count").dataset.value = String(S.alerts); $("alert-count").textContent = String(S.alerts);
    $("no-alerts").hidden = true;
  }
  $("only-warn").addEventListener("change", () => { $("alerts").classList.toggle("hide-info", $("only-warn").checked); });

  // ---------- live connection ----------
  function setWS(v) { const s = $("ws-state"); s.dataset.value = v; s.textContent = v; }
  function connect() {
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/supervisor");
    S.ws = ws; setWS("connecting");
    ws.onopen = () => { S.retry = 0; };
    ws.onmessage = (ev) => {
      let m; try { m = JSON.parse(ev.data); } catch { return; }
      if (m.type === "hello") setWS("connected");
      else if (m.type === "alert") addAlert(m.data || {});
    };
    ws.onclose = async () => {
      if (S.ws !== ws) return;
      setWS("disconnected");
      const r = await fetch("/api/me", { credentials: "same-origin" }).catch(() => null);
      if (r && r.status === 401) { toLogin(); return; }
      S.retry = Math.min(S.retry + 1, 5);
      setTimeout(connect, 500 * S.retry);
    };
  }

  $("logout").addEventListener("click", async () => {
    await fetch("/api/logout", { method: "POST", credentials: "same-origin" }).catch(() => {});
    location.href = "/";
  });

  // ---------- boot ----------
  fetch("/api/me", { credentials: "same-origin" }).then(async (r) => {
    if (!r.ok) { toLogin(); return; }
    S.me = await r.json();
    $("who").textContent = S.me.user;
    connect();
    loadAgents();
    S.poll = setInterval(loadAgents, 2000);
    loadMessages();
    setInterval(loadMessages, 15000);
  }).catch(toLogin);
})();
