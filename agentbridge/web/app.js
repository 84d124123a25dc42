// hotline softphone: login, presence, ringing card with the emotion report, WebRTC audio, live updates, wrap-up.
// Plain browser JavaScript, no build step. The server protocol is described in agentbridge/protocol.go.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const S = {
    me: null, csrf: "", ws: null, retry: 0, loggedOut: false,
    call: null,          // {id, offerId, caller, report, state, held, since}
    pc: null, pcId: 0, mic: null, muted: false, held: false, iceServers: [],
    ring: null, meter: null, timer: null, lang: "en",
  };

  // ---------- language ----------
  function t(key, vars) {
    const d = window.I18N[S.lang] || window.I18N.en;
    let s = key in d ? d[key] : (key in window.I18N.en ? window.I18N.en[key] : key);
    if (vars) for (const k in vars) s = s.replace("{" + k + "}", vars[k]);
    return s;
  }
  function applyLang() {
    document.documentElement.lang = S.lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    $("lang").value = S.lang;
    setCallState($("call-state").dataset.value);
    if (S.call) renderReport(S.call.report);
    $("mute").textContent = t(S.muted ? "unmute" : "mute");
    $("hold").textContent = t(S.held ? "resume" : "hold");
  }
  S.lang = localStorage.getItem("hotline.lang") || ((navigator.language || "").toLowerCase().startsWith("zh") ? "zh" : "en");
  $("lang").addEventListener("change", () => { S.lang = $("lang").value; localStorage.setItem("hotline.lang", S.lang); applyLang(); });

  function toast(msg) {
    const el = $("toast"); el.textContent = msg; el.classList.add("show");
    clearTimeout(toast.t); toast.t = setTimeout(() => el.classList.remove("show"), 4000);
  }

  // ---------- login ----------
  async function api(path, body) {
    const r = await fetch(path, {
      method: body === undefined ? "GET" : "POST", credentials: "same-origin",
      headers: Object.assign({ "Content-Type": "application/json" }, S.csrf ? { "X-CSRF-Token": S.csrf } : {}),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return r;
  }
  $("login-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    $("login-error").textContent = "";
    if (window.Notification && Notification.permission === "default") Notification.requestPermission().catch(() => {});
    unlockAudio();
    const r = await api("/api/login", { user: $("login-user").value.trim(), pass: $("login-pass").value });
    if (!r.ok) { $("login-error").textContent = t(r.status === 429 ? "throttled" : "bad_login"); return; }
    $("login-pass").value = "";
    start(await r.json());
  });
  $("logout").addEventListener("click", async () => {
    S.loggedOut = true;
    await api("/api/logout", {}).catch(() => {});
    if (S.ws) S.ws.close();
    closePC(); S.me = null; S.csrf = "";
    showLogin();
  });
  function showLogin() {
    $("login").hidden = false; $("desk").hidden = true; $("logout").hidden = true; $("pw-open").hidden = true;
    $("sup-link").hidden = true;
    $("who").textContent = ""; $("presence").disabled = true;
  }
  function start(me) {
    // A supervisor sent here to log in (/?next=/supervisor) goes back to the supervisor page.
    if (me.role === "supervisor" && new URLSearchParams(location.search).get("next") === "/supervisor") {
      location.replace("/supervisor"); return;
    }
    S.me = me; S.csrf = me.csrf; S.loggedOut = false;
    $("login").hidden = true; $("desk").hidden = false; $("logout").hidden = false; $("pw-open").hidden = false;
    $("sup-link").hidden = me.role !== "supervisor";
    $("who").textContent = me.user + (me.skills && me.skills.length ? " · " + me.skills.join(", ") : "");
    connect();
  }

  // ---------- password ----------
  $("pw-open").addEventListener("click", () => { $("pw-msg").textContent = ""; $("pw-dialog").showModal(); });
  $("pw-cancel").addEventListener("click", () => $("pw-dialog").close());
  $("pw-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const r = await api("/api/password", { old: $("pw-old").value, new: $("pw-new").value });
    if (r.ok) { $("pw-dialog").close(); $("pw-old").value = $("pw-new").value = ""; toast(t("password_changed")); return; }
    const j = await r.json().catch(() => ({})); $("pw-msg").textContent = j.error || r.statusText;
  });

  // ---------- signalling ----------
  function connect() {
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/agent");
    S.ws = ws;
    ws.onopen = () => { S.retry = 0; };
    ws.onmessage = (ev) => { let m; try { m = JSON.parse(ev.data); } catch { return; } handle(m.type, m.data || {}); };
    ws.onclose = async () => {
      if (S.ws !== ws || S.loggedOut) return;
      $("presence").disabled = true;
      const r = await fetch("/api/me", { credentials: "same-origin" }).catch(() => null);
      if (r && r.status === 401) { showLogin(); return; }
      toast(t("reconnecting"));
      S.retry = Math.min(S.retry + 1, 5);
      setTimeout(connect, 300 * S.retry);
    };
  }
  function send(type, fields) {
    if (S.ws && S.ws.readyState === WebSocket.OPEN) S.ws.send(JSON.stringify(Object.assign({ type }, fields || {})));
  }

  function handle(type, d) {
    switch (type) {
      case "hello":
        S.iceServers = d.ice_servers || [];
        setPresence(d.presence); $("presence").disabled = false;
        if (d.call) restore(d.call); else if (S.call && S.call.state !== "ended") clearCall();
        break;
      case "presence": setPresence(d.value); break;
      case "ring": showRing(d); break;
      case "ring_cancel":
        if (S.call && S.call.id === d.call_id && S.call.state === "ringing") {
          stopRing(); clearCall();
          if (d.reason === "taken") toast(t("call_taken"));
        }
        break;
      case "call":
        if (!S.call || S.call.id !== d.call_id) break;
        if (d.state === "talking") { showTalking(d.held); }
        else if (d.state === "ended") endCall();
        break;
      case "rtc_offer": onOffer(d).catch((e) => { toast(t("agent_lost_audio") + e); }); break;
      case "ice":
        if (S.pc && d.pc === S.pcId) S.pc.addIceCandidate(d.candidate).catch(() => {});
        break;
      case "report":
        if (S.call && S.call.id === d.call_id && d.report.seq > (S.call.report.seq || 0)) { S.call.report = d.report; renderReport(d.report); }
        break;
      case "transcript": if (S.call && S.call.id === d.call_id) { S.call.live.push(d.line); addLine(d.line); } break;
      case "assist": if (S.call && S.call.id === d.call_id) renderAssist(d.suggestions || []); break;
      case "hint": if (S.call && S.call.id === d.call_id) renderHint(d.hint); break;
      case "history": if (S.call && S.call.id === d.call_id) renderHistory(d.calls || []); break;
      case "wrapup": showWrapUp(d.call_id); break;
      case "error": toast(d.message); break;
    }
  }

  // ---------- presence and call state ----------
  function setPresence(v) {
    const sel = $("presence"); sel.dataset.value = v; sel.value = v;
  }
  $("presence").addEventListener("change", () => send("presence", { value: $("presence").value }));
  function setCallState(v) {
    const el = $("call-state"); el.dataset.value = v;
    el.textContent = t(v === "talking" && S.held ? "s_held" : "s_" + v);
  }

  // ---------- ringing ----------
  function showRing(d) {
    S.call = { id: d.call_id, offerId: d.offer_id, caller: d.caller, report: d.report || {}, state: "ringing", live: [] };
    $("ring-caller").textContent = d.caller || "";
    $("ring-waited").textContent = t("waited", { s: Math.round((d.waited_ms || 0) / 1000) });
    $("incoming").hidden = false; $("idle-note").hidden = true; $("report").hidden = false;
    $("wrapup").hidden = true; $("callbar").hidden = true;
    $("assist").textContent = ""; $("hints").textContent = "";
    renderReport(S.call.report); renderHistory(d.history || []);
    setCallState("ringing");
    startRing();
    // Negotiate the audio leg while it rings (the microphone stays disabled and the server passes no audio before
    // the answer), so answering starts the conversation at once.
    getMic().catch(() => {}).then(() => { if (S.call && S.call.id === d.call_id && S.call.state === "ringing") send("prepare", { call_id: d.call_id, offer_id: d.offer_id }); });
    if (document.hidden && window.Notification && Notification.permission === "granted") {
      try {
        const n = new Notification(t("incoming_call"), { body: (d.caller || "") + " · " + t(S.call.report.state || "calm"), tag: "hotline-ring" });
        n.onclick = () => { window.focus(); n.close(); };
      } catch (e) { /* notifications not supported here */ }
    }
  }
  $("answer").addEventListener("click", () => {
    if (!S.call || S.call.state !== "ringing") return;
    unlockAudio();
    getMic().catch(() => {}); // ask for the microphone now, so the offer finds it ready
    send("answer", { call_id: S.call.id, offer_id: S.call.offerId });
  });
  $("decline").addEventListener("click", () => {
    if (!S.call || S.call.state !== "ringing") return;
    send("decline", { call_id: S.call.id, offer_id: S.call.offerId });
    stopRing(); clearCall();
  });

  let audioCtx = null;
  function ctx() {
    if (!audioCtx) audioCtx = new (window.AudioContext || window.webkitAudioContext)();
    if (audioCtx.state === "suspended") audioCtx.resume().catch(() => {});
    return audioCtx;
  }
  function unlockAudio() { try { ctx(); } catch (e) { /* no Web Audio */ } }
  // The ring: 440 + 480 Hz, 1 s on, 2 s off, made with Web Audio.
  function startRing() {
    stopRing();
    const burst = () => {
      try {
        const ac = ctx(), g = ac.createGain(), now = ac.currentTime;
        g.gain.setValueAtTime(0, now); g.gain.linearRampToValueAtTime(0.08, now + 0.03);
        g.gain.setValueAtTime(0.08, now + 0.97); g.gain.linearRampToValueAtTime(0, now + 1);
        g.connect(ac.destination);
        for (const f of [440, 480]) { const o = ac.createOscillator(); o.frequency.value = f; o.connect(g); o.start(now); o.stop(now + 1); }
      } catch (e) { /* no Web Audio */ }
    };
    burst(); S.ring = setInterval(burst, 3000);
  }
  function stopRing() { if (S.ring) { clearInterval(S.ring); S.ring = null; } }

  // ---------- talking ----------
  function restore(c) {
    S.call = { id: c.call_id, offerId: c.offer_id, caller: c.caller, report: c.report || {}, state: c.state, since: c.since_ms, live: [] };
    $("idle-note").hidden = true; $("report").hidden = false; $("wrapup").hidden = true;
    renderReport(S.call.report); renderHistory(c.history || []);
    if (c.state === "ringing") { showRing({ call_id: c.call_id, offer_id: c.offer_id, caller: c.caller, report: c.report, history: c.history }); }
    else if (c.state === "talking") showTalking(c.held);
  }
  function showTalking(held) {
    stopRing();
    S.call.state = "talking"; S.held = !!held;
    if (!S.call.since) S.call.since = Date.now();
    $("incoming").hidden = true; $("callbar").hidden = false; $("report").hidden = false; $("idle-note").hidden = true;
    $("call-caller").textContent = S.call.caller || "";
    $("hold").dataset.value = S.held ? "on" : "off"; $("hold").textContent = t(S.held ? "resume" : "hold");
    setCallState("talking"); applyMicState();
    clearInterval(S.timer);
    S.timer = setInterval(() => {
      const s = Math.floor((Date.now() - S.call.since) / 1000);
      $("call-timer").textContent = String(Math.floor(s / 60)).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0");
    }, 500);
  }
  function endCall() {
    stopRing(); closePC(); clearInterval(S.timer);
    if (S.call) S.call.state = "ended";
    $("callbar").hidden = true; $("incoming").hidden = true; $("keys").hidden = true;
    setCallState("ended");
  }
  function clearCall() {
    closePC();
    S.call = null; S.held = false;
    $("incoming").hidden = true; $("callbar").hidden = true; $("report").hidden = true; $("idle-note").hidden = false;
    setCallState("idle");
  }
  $("hangup").addEventListener("click", () => { if (S.call) send("hangup", { call_id: S.call.id }); });
  $("mute").addEventListener("click", () => {
    S.muted = !S.muted; $("mute").dataset.value = S.muted ? "on" : "off"; $("mute").textContent = t(S.muted ? "unmute" : "mute");
    applyMicState(); if (S.call) send("mute", { call_id: S.call.id, on: S.muted });
  });
  $("hold").addEventListener("click", () => {
    if (!S.call) return;
    S.held = !S.held; $("hold").dataset.value = S.held ? "on" : "off"; $("hold").textContent = t(S.held ? "resume" : "hold");
    applyMicState(); setCallState("talking"); send("hold", { call_id: S.call.id, on: S.held });
  });
  function applyMicState() {
    const live = !!S.call && S.call.state === "talking" && !S.muted && !S.held;
    if (S.mic) S.mic.getAudioTracks().forEach((tr) => { tr.enabled = live; });
  }

  // DTMF keypad: each key sends an RFC 4733 event to the caller through the server.
  const keys = $("keys");
  "123456789*0#".split("").forEach((k) => {
    const b = document.createElement("button"); b.textContent = k; b.type = "button"; b.dataset.digit = k;
    b.dataset.testid = "key-" + (k === "*" ? "star" : k === "#" ? "hash" : k);
    b.addEventListener("click", () => { if (S.call) send("dtmf", { call_id: S.call.id, digit: k }); });
    keys.appendChild(b);
  });
  $("keypad").addEventListener("click", () => { keys.hidden = !keys.hidden; });

  // ---------- WebRTC ----------
  async function getMic() {
    if (S.mic && S.mic.getAudioTracks().some((tr) => tr.readyState === "live")) return S.mic;
    S.mic = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true }, video: false });
    applyMicState();
    return S.mic;
  }
  async function onOffer(d) {
    if (!S.call || S.call.id !== d.call_id) return;
    closePC();
    const pc = new RTCPeerConnection({ iceServers: S.iceServers });
    S.pc = pc; S.pcId = d.pc;
    pc.onicecandidate = (e) => { if (e.candidate && S.pc === pc) send("ice", { call_id: d.call_id, pc: d.pc, candidate: e.candidate.toJSON() }); };
    pc.ontrack = (e) => {
      const stream = e.streams && e.streams[0] ? e.streams[0] : new MediaStream([e.track]);
      const audio = $("remote"); audio.srcObject = stream; audio.play().catch(() => {});
      startMeter(stream);
    };
    await pc.setRemoteDescription({ type: "offer", sdp: d.sdp });
    try {
      const mic = await getMic();
      const tr = pc.getTransceivers().find((x) => x.receiver.track && x.receiver.track.kind === "audio") || pc.getTransceivers()[0];
      await tr.sender.replaceTrack(mic.getAudioTracks()[0]);
      tr.direction = "sendrecv";
    } catch (e) { toast(t("mic_denied") + e.message); }
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    send("rtc_answer", { call_id: d.call_id, pc: d.pc, sdp: pc.localDescription.sdp });
  }
  function closePC() {
    if (S.pc) { try { S.pc.close(); } catch (e) { /* already closed */ } S.pc = null; }
    stopMeter();
  }

  // The caller's level as heard here: RMS of the received audio in dBFS, -100 for silence, ten times a second.
  function startMeter(stream) {
    stopMeter();
    try {
      const ac = ctx(), src = ac.createMediaStreamSource(stream), an = ac.createAnalyser();
      an.fftSize = 2048; src.connect(an);
      const buf = new Float32Array(an.fftSize);
      const el = $("caller-level");
      let shown = -100;
      const id = setInterval(() => {
        an.getFloatTimeDomainData(buf);
        let sum = 0; for (let i = 0; i < buf.length; i++) sum += buf[i] * buf[i];
        const rms = Math.sqrt(sum / buf.length);
        const db = rms > 0 ? Math.max(-100, 20 * Math.log10(rms)) : -100;
        el.dataset.db = db.toFixed(1);
        // The bar falls back slowly (peak hold) so speech reads as a level, not a flicker; data-db stays the
        // current value.
        shown = Math.max(db, shown - 3);
        $("level-fill").style.width = Math.max(0, Math.min(100, (shown + 70) / 70 * 100)) + "%";
        $("level-text").textContent = Math.round(shown) + " dB";
      }, 100);
      S.meter = { id, src };
    } catch (e) { /* no Web Audio */ }
  }
  function stopMeter() {
    if (S.meter) { clearInterval(S.meter.id); try { S.meter.src.disconnect(); } catch (e) { /* gone */ } S.meter = null; }
    $("caller-level").dataset.db = "-100"; $("level-fill").style.width = "0"; $("level-text").textContent = "-100 dB";
  }

  // ---------- the report ----------
  const COLORS = { calm: "#1a7f37", anxious: "#b7791f", angry: "#cf222e", sad: "#3a5ccc" };
  function renderReport(r) {
    r = r || {};
    const st = r.state || "calm", lv = r.level || 0;
    const es = $("emotion-state"); es.dataset.value = st; es.className = "state " + st; es.textContent = t(st);
    const el = $("emotion-level"); el.dataset.value = String(lv); el.textContent = lv ? lv + " · " + t("level" + lv) : "0";
    const g = $("gauge-fill"); g.style.width = Math.round(Math.max(r.arousal || 0, lv / 3) * 100) + "%"; g.style.background = COLORS[st] || COLORS.calm;
    $("intent").textContent = r.intent || "—";
    const tr = $("transfer-reason"); tr.dataset.value = r.transfer_reason || "";
    tr.textContent = r.transfer_reason ? t(r.transfer_reason === "emotion" ? "emotion_reason" : r.transfer_reason) : "—";
    $("sensitive").textContent = (r.sensitive_topics || []).join(", ") || t("none");
    $("say").textContent = (r.strategy && r.strategy.say) || "—";
    const ul = $("triggers"); ul.textContent = "";
    if (!(r.triggers || []).length) { const li = document.createElement("li"); li.className = "muted"; li.textContent = t("none"); ul.appendChild(li); }
    (r.triggers || []).forEach((x) => {
      const li = document.createElement("li");
      li.textContent = x.at.toFixed(1) + " s · " + x.kind + (x.detail ? " (" + x.detail + ")" : "") + (x.text ? " — “" + x.text + "”" : "");
      ul.appendChild(li);
    });
    $("transcript").textContent = "";
    (r.transcript || []).forEach(addLine);
    if (S.call) S.call.live.forEach(addLine);
    drawSpark(r.timeline || []);
  }
  function addLine(l) {
    const box = $("transcript"), div = document.createElement("div"), who = document.createElement("span");
    div.className = "line who-" + l.who; who.className = "who"; who.textContent = t("who_" + l.who);
    div.appendChild(who); div.appendChild(document.createTextNode(l.text)); box.appendChild(div);
    box.scrollTop = box.scrollHeight;
  }
  function drawSpark(tl) {
    const cv = $("spark"), g = cv.getContext("2d"), W = cv.width, H = cv.height;
    g.clearRect(0, 0, W, H);
    if (tl.length < 2) return;
    const t0 = tl[0].t, t1 = tl[tl.length - 1].t || 1;
    const x = (p) => ((p.t - t0) / Math.max(t1 - t0, 0.001)) * (W - 4) + 2;
    const voiced = tl.filter((p) => p.f0 > 0).map((p) => p.f0);
    const fmin = Math.min(...voiced, 1e9), fmax = Math.max(...voiced, 0);
    g.lineWidth = 1.5;
    g.strokeStyle = "#0e7490"; g.beginPath();
    tl.forEach((p, i) => { const y = H - 2 - ((Math.max(p.db, -70) + 70) / 70) * (H - 4); i ? g.lineTo(x(p), y) : g.moveTo(x(p), y); });
    g.stroke();
    if (voiced.length > 1) {
      g.strokeStyle = "#7c3aed"; g.beginPath(); let pen = false;
      tl.forEach((p) => {
        if (p.f0 <= 0) { pen = false; return; }
        const y = H - 2 - ((p.f0 - fmin) / Math.max(fmax - fmin, 1)) * (H - 4);
        pen ? g.lineTo(x(p), y) : g.moveTo(x(p), y); pen = true;
      });
      g.stroke();
    }
  }
  function renderAssist(list) {
    const ul = $("assist"); ul.textContent = "";
    list.forEach((s) => {
      const li = document.createElement("li"), b = document.createElement("strong");
      b.textContent = s.title; li.appendChild(b); li.appendChild(document.createTextNode(" — " + s.answer)); ul.appendChild(li);
    });
  }
  function renderHint(h) {
    const d = document.createElement("div"); d.className = "hint";
    d.textContent = "“" + h.phrase + "” → " + t("instead") + " “" + h.instead + "”" + (h.note ? " (" + h.note + ")" : "");
    $("hints").prepend(d);
  }
  function renderHistory(list) {
    const ul = $("history"); ul.textContent = "";
    if (!list.length) { const li = document.createElement("li"); li.className = "muted"; li.textContent = t("no_history"); ul.appendChild(li); return; }
    list.forEach((c) => {
      const li = document.createElement("li");
      li.textContent = new Date(c.started_at).toLocaleString(S.lang === "zh" ? "zh-CN" : undefined) + " · " + c.outcome +
        (c.intent ? " · " + c.intent : "") + (c.agent ? " · " + c.agent : "") + (c.disposition ? " · " + c.disposition : "") +
        (c.notes ? " — " + c.notes : "");
      ul.appendChild(li);
    });
  }

  // ---------- wrap-up ----------
  function showWrapUp(id) {
    endCall();
    S.wrapId = id;
    $("wrapup").hidden = false; $("notes").value = ""; $("disposition").value = "resolved";
  }
  $("wrapup").addEventListener("submit", (e) => {
    e.preventDefault();
    send("wrapup", { call_id: S.wrapId, disposition: $("disposition").value, notes: $("notes").value });
    $("wrapup").hidden = true; clearCall();
  });

  // ---------- boot ----------
  applyLang();
  fetch("/api/me", { credentials: "same-origin" }).then(async (r) => { if (r.ok) start(await r.json()); else showLogin(); }).catch(showLogin);
})();
