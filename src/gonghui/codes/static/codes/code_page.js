/* "My code" page: gets this device's credential once, then derives codes on the phone.
 *
 * - The credential (id + seed) comes from POST credentials, once per device; the seed is kept
 *   as a non-extractable Web Crypto key in IndexedDB (a localStorage copy of the seed only where
 *   IndexedDB cannot hold keys).
 * - The code for (30-s step, sequence) is shown as QR, CODE128 barcode and digits, with a
 *   countdown; it changes every step, when the member taps "New code", and when the page learns
 *   (by polling the credential's high-water mark) that the code was used.
 * - A service worker keeps the page and its assets, so it opens and works with no network.
 * ES2017 at most; no inline script or style (CSP).
 */
(function () {
  "use strict";

  var app = document.getElementById("code-app");
  if (!app || !window.GonghuiCode) { return; }
  var G = window.GonghuiCode;
  var POLL_MS = 4000;
  var DB_NAME = "gonghui-code";
  var STORE = "credential";
  var STATE_KEY = "gonghui.code.state";
  var FALLBACK_KEY = "gonghui.code.credential";

  var els = {
    status: document.getElementById("code-status"),
    body: document.getElementById("code-body"),
    qr: document.getElementById("code-qr"),
    bar: document.getElementById("code-bar"),
    digits: document.getElementById("code-digits"),
    countdown: document.getElementById("code-countdown"),
    seconds: document.getElementById("code-seconds"),
    newButton: document.getElementById("code-new"),
    replaced: document.getElementById("code-replaced"),
    reclaim: document.getElementById("code-reclaim")
  };
  var msg = function (name) { return app.getAttribute("data-msg-" + name) || ""; };

  var cred = null; // {id, key: CryptoKey, memberRef}
  var state = loadState(); // {offset, step, seq, hwStep, hwSeq, credId}
  var shown = null; // the code on screen
  var rendering = false;

  // --- small storage helpers --------------------------------------------------------------------
  function loadState() {
    try {
      var s = JSON.parse(localStorage.getItem(STATE_KEY) || "{}");
      return {
        offset: Number(s.offset) || 0, step: Number(s.step) || 0, seq: Number(s.seq) || 0,
        hwStep: Number(s.hwStep) || 0, hwSeq: Number(s.hwSeq) || 0, credId: Number(s.credId) || 0
      };
    } catch (e) {
      return { offset: 0, step: 0, seq: 0, hwStep: 0, hwSeq: 0, credId: 0 };
    }
  }
  function saveState() {
    try { localStorage.setItem(STATE_KEY, JSON.stringify(state)); } catch (e) { /* private mode */ }
  }

  function openDb() {
    return new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
      var req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "slot" }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function dbDo(mode, fn) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var req = fn(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(req ? req.result : undefined); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  async function loadCredential() {
    try {
      var rec = await dbDo("readonly", function (s) { return s.get("current"); });
      if (rec && rec.key) { return { id: rec.id, key: rec.key, memberRef: rec.memberRef }; }
    } catch (e) { /* fall through to the fallback */ }
    try {
      var fb = JSON.parse(localStorage.getItem(FALLBACK_KEY) || "null");
      if (fb && fb.seed) {
        return { id: fb.id, key: await G.importSeed(fb.seed, false), memberRef: fb.memberRef };
      }
    } catch (e) { /* nothing stored */ }
    return null;
  }

  async function saveCredential(id, seedHex, memberRef) {
    var key = await G.importSeed(seedHex, false);
    try {
      await dbDo("readwrite", function (s) {
        return s.put({ slot: "current", id: id, key: key, memberRef: memberRef, savedAt: Date.now() });
      });
      localStorage.removeItem(FALLBACK_KEY);
    } catch (e) {
      localStorage.setItem(FALLBACK_KEY, JSON.stringify({ id: id, seed: seedHex, memberRef: memberRef }));
    }
    return { id: id, key: key, memberRef: memberRef };
  }

  // --- network ------------------------------------------------------------------------------------
  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  function learnClock(serverTime, t0, t1) {
    if (typeof serverTime === "number") {
      state.offset = Math.round(serverTime * 1000 - (t0 + t1) / 2);
    }
  }

  function serverNow() { return Date.now() + state.offset; }

  async function issue() {
    setStatus(msg("issuing"));
    var t0 = Date.now();
    var resp = await fetch(app.getAttribute("data-issue-url"), {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" }
    });
    var t1 = Date.now();
    if (resp.status !== 201) { throw new Error("issue failed: " + resp.status); }
    var data = await resp.json();
    learnClock(data.server_time, t0, t1);
    cred = await saveCredential(data.credential_id, data.seed, app.getAttribute("data-member-ref"));
    data.seed = null;
    state.credId = cred.id; state.hwStep = 0; state.hwSeq = 0; state.step = 0; state.seq = 0;
    saveState();
    els.replaced.hidden = true;
    setStatus("");
    return cred;
  }

  async function poll() {
    if (!cred || !navigator.onLine || document.visibilityState === "hidden") { return; }
    var t0 = Date.now();
    var resp;
    try {
      resp = await fetch(app.getAttribute("data-current-url"), {
        credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" }
      });
    } catch (e) {
      setStatus(msg("offline"));
      return;
    }
    var t1 = Date.now();
    if (resp.status === 404) { showReplaced(); return; }
    if (!resp.ok) { return; } // signed out or server trouble: keep showing the offline code
    var data = await resp.json();
    learnClock(data.server_time, t0, t1);
    if (data.credential_id !== cred.id || data.status !== "active") { showReplaced(); return; }
    if (data.locked_until) { setStatus(msg("locked"), "alert"); }
    var used = data.hw_step > state.hwStep || (data.hw_step === state.hwStep && data.hw_seq > state.hwSeq);
    state.hwStep = data.hw_step; state.hwSeq = data.hw_seq;
    saveState();
    if (used && shown && !after(shown.step, shown.seq, state.hwStep, state.hwSeq)) {
      await render(true);
      setStatus(msg("used"), "good");
    } else if (!data.locked_until && els.status.getAttribute("data-kind") !== "good") {
      setStatus("");
    }
  }

  // --- drawing ------------------------------------------------------------------------------------
  function setStatus(text, kind) {
    els.status.textContent = text;
    els.status.classList.toggle("is-alert", kind === "alert");
    els.status.classList.toggle("is-good", kind === "good");
    els.status.setAttribute("data-kind", kind || "");
  }

  function showReplaced() {
    els.body.classList.add("is-stale");
    els.replaced.hidden = false;
    setStatus(msg("replaced"), "alert");
  }

  function drawQr(code) {
    var qr = window.qrcode(0, "M");
    qr.addData(code, "Numeric");
    qr.make();
    var n = qr.getModuleCount();
    var quiet = 2;
    var ratio = window.devicePixelRatio || 1;
    var cssSize = els.qr.clientWidth || 240;
    var size = Math.floor(cssSize * ratio);
    var cell = Math.floor(size / (n + quiet * 2));
    var margin = Math.floor((size - cell * n) / 2);
    els.qr.width = size; els.qr.height = size;
    var ctx = els.qr.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, size, size);
    ctx.fillStyle = "#000";
    for (var r = 0; r < n; r += 1) {
      for (var c = 0; c < n; c += 1) {
        if (qr.isDark(r, c)) { ctx.fillRect(margin + c * cell, margin + r * cell, cell, cell); }
      }
    }
  }

  function drawBar(code) {
    if (!window.JsBarcode) { return; }
    window.JsBarcode(els.bar, code, {
      format: "CODE128", displayValue: false, margin: 8, height: 72, width: 2, background: "#ffffff"
    });
  }

  /* Is (step, seq) strictly after the high-water mark (hwStep, hwSeq)? */
  function after(step, seq, hwStep, hwSeq) {
    return step > hwStep || (step === hwStep && seq > hwSeq);
  }

  /* Pick (step, seq): the current step; a sequence above every one used or shown in it. */
  function pick(bump) {
    var step = G.timeStep(serverNow());
    var seq = step === state.step ? state.seq + (bump ? 1 : 0) : 0;
    if (!after(step, seq, state.hwStep, state.hwSeq)) {
      seq = state.hwStep === step ? state.hwSeq + 1 : seq;
      if (!after(step, seq, state.hwStep, state.hwSeq)) { return null; } // clock behind the server
    }
    if (seq > G.SEQ_MAX) { return null; }
    return { step: step, seq: seq };
  }

  async function render(bump) {
    if (!cred || rendering) { return; }
    rendering = true;
    try {
      var next = pick(bump);
      if (!next) {
        els.body.classList.add("is-stale");
        setStatus(msg("wait"));
        return;
      }
      var code = await G.codeFor(cred.key, cred.id, next.step, next.seq);
      state.step = next.step; state.seq = next.seq; state.credId = cred.id;
      saveState();
      shown = { step: next.step, seq: next.seq, code: code };
      els.digits.textContent = G.format(code);
      els.digits.setAttribute("data-code", code);
      drawQr(code);
      drawBar(code);
      els.body.hidden = false;
      if (els.replaced.hidden) { els.body.classList.remove("is-stale"); }
    } finally {
      rendering = false;
    }
  }

  function tick() {
    var now = serverNow();
    var left = G.secondsLeft(now);
    els.countdown.value = left;
    // "{n}s" translated in the template (zh-hans: "{n}秒")
    els.seconds.textContent = (msg("seconds") || "{n}s").replace("{n}", String(left));
    if (cred && (!shown || G.timeStep(now) !== shown.step)) {
      render(false);
      if (els.status.getAttribute("data-kind") === "good") { setStatus(""); }
    }
  }

  // --- start ---------------------------------------------------------------------------------
  function registerWorker() {
    if (!("serviceWorker" in navigator)) { return; }
    navigator.serviceWorker.register(app.getAttribute("data-sw-url"), {
      scope: app.getAttribute("data-scope")
    }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      // Cache what this page loaded before the worker was in control (the H5 base's assets too).
      var urls = [location.href];
      performance.getEntriesByType("resource").forEach(function (e) {
        if (e.name.indexOf(location.origin + "/static/") === 0) { urls.push(e.name); }
      });
      if (reg.active) { reg.active.postMessage({ type: "cache", urls: urls }); }
    }).catch(function () { /* the page still works online */ });
  }

  async function start() {
    registerWorker();
    els.newButton.addEventListener("click", function () { render(true); });
    els.reclaim.addEventListener("click", function () {
      issue().then(function () { shown = null; return render(false); }).catch(function () {
        setStatus(msg("error"), "alert");
      });
    });
    cred = await loadCredential();
    if (cred && cred.memberRef !== app.getAttribute("data-member-ref")) { cred = null; }
    if (cred && state.credId !== cred.id) {
      state.credId = cred.id; state.hwStep = 0; state.hwSeq = 0; state.step = 0; state.seq = 0;
    }
    if (!cred) {
      if (!navigator.onLine) {
        setStatus(msg("first"), "alert");
        window.addEventListener("online", function () { location.reload(); }, { once: true });
        return;
      }
      try {
        await issue();
      } catch (e) {
        setStatus(msg("error"), "alert");
        return;
      }
    }
    // A fresh sequence number on every page load: the code shown before the reload may have been
    // used meanwhile, and a page opened offline cannot ask the server.
    await render(true);
    if (!navigator.onLine) { setStatus(msg("offline")); }
    tick();
    setInterval(tick, 1000);
    poll();
    setInterval(poll, POLL_MS);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") { tick(); poll(); }
    });
    window.addEventListener("offline", function () { setStatus(msg("offline")); });
    window.addEventListener("online", function () { setStatus(""); poll(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
