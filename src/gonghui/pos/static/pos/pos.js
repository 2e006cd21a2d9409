/* The checkout page (/pos/): bill + member's code → a big green or red answer.
 *
 * - Signs in with a terminal key (kept in this browser's localStorage, sent as
 *   "Authorization: Terminal <key>") or, for a signed-in cashier, with a terminal picked from a
 *   list (its id kept in localStorage; the session cookie and the CSRF token authenticate).
 * - The code comes from the camera (html5-qrcode from npm, QR or CODE128), from a USB barcode
 *   gun (it types 20 digits and Enter into the focused field) or from the keyboard.
 * - Every scan carries a fresh Idempotency-Key; after a network error "Retry" sends the same
 *   request with the same key, so the server answers it once whatever happens.
 * ES2017 at most; no inline script or style (CSP).
 */
(function () {
  "use strict";

  var app = document.getElementById("pos-app");
  if (!app) { return; }

  var KEY_STORE = "gonghui.pos.key";
  var TERMINAL_STORE = "gonghui.pos.terminal";
  // The server's one maximum (benefits.bill.MAX_BILL_FEN), rendered into the page.
  var MAX_BILL_FEN = Number(app.getAttribute("data-max-bill-fen")) || 0;
  var api = app.getAttribute("data-api");
  var signedIn = app.getAttribute("data-signed-in") === "1";
  var csrf = app.getAttribute("data-csrf") || "";
  var msg = function (name) { return app.getAttribute("data-msg-" + name) || name; };
  var $ = function (id) { return document.getElementById(id); };

  var els = {
    setup: $("pos-setup"), work: $("pos-work"), where: $("pos-where"),
    keyForm: $("pos-key-form"), key: $("pos-key"), keyError: $("pos-key-error"),
    pickForm: $("pos-pick-form"), terminal: $("pos-terminal"),
    form: $("pos-scan-form"), bill: $("pos-bill"), code: $("pos-code"), go: $("pos-go"),
    formError: $("pos-form-error"), cameraToggle: $("pos-camera-toggle"), camera: $("pos-camera"),
    result: $("pos-result"), resultTitle: $("pos-result-title"), resultMain: $("pos-result-main"),
    resultFacts: $("pos-result-facts"), resultNote: $("pos-result-note"), retry: $("pos-retry"),
    list: $("pos-list"), refresh: $("pos-refresh"), voidOpen: $("pos-void-open"),
    totalCount: $("pos-total-count"), totalBill: $("pos-total-bill"),
    totalDiscount: $("pos-total-discount"), totalSubsidy: $("pos-total-subsidy"),
    totalPay: $("pos-total-pay"), totalVoided: $("pos-total-voided"), shiftLink: $("pos-shift"),
    historyLink: $("pos-history"),
    choice: $("pos-choice"), choiceList: $("pos-choice-list"), choiceGo: $("pos-choice-go"),
    choiceCancel: $("pos-choice-cancel"),
    switchTerminal: $("pos-switch"), dialog: $("pos-void-dialog"), voidForm: $("pos-void-form"),
    voidWhat: $("pos-void-what"), voidReason: $("pos-void-reason"), voidError: $("pos-void-error"),
    voidCancel: $("pos-void-cancel"), voidConfirm: $("pos-void-confirm")
  };

  var auth = null; // {key} or {terminalId}
  var pending = null; // the last scan that got no answer: {body, key}
  var busy = false;
  var lastItem = null; // the redemption "void the last one" would void
  var voidKey = null;
  var scanner = null;
  var choosing = null; // the scan that answered offer_choice: its body, to send again with offer_id

  // --- small helpers ----------------------------------------------------------------------------
  function store(name, value) {
    try {
      if (value === null) { localStorage.removeItem(name); } else { localStorage.setItem(name, value); }
    } catch (e) { /* private mode: the page still works until it is reloaded */ }
  }
  function stored(name) {
    try { return localStorage.getItem(name); } catch (e) { return null; }
  }

  function newKey() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function yuan(fen) {
    fen = Number(fen) || 0;
    var sign = fen < 0 ? "-" : "";
    fen = Math.abs(fen);
    var whole = String(Math.floor(fen / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var cents = String(fen % 100);
    return sign + "¥" + whole + "." + (cents.length < 2 ? "0" + cents : cents);
  }

  /* "58", "58.5", "58.50" → fen, without floating point; null if not an amount. */
  function parseBill(text) {
    var m = /^\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(text || "");
    if (!m) { return null; }
    var cents = (m[2] || "") + "00";
    return Number(m[1]) * 100 + Number(cents.slice(0, 2));
  }

  function codeDigits(text) {
    return (text || "").replace(/[\s-]/g, "");
  }

  function show(el, on) { if (el) { el.hidden = !on; } }

  function setText(el, text) { if (el) { el.textContent = text; } }

  function headers(write) {
    var h = { "Accept": "application/json" };
    if (write) { h["Content-Type"] = "application/json"; }
    if (auth && auth.key) {
      h.Authorization = "Terminal " + auth.key;
    } else if (write) {
      h["X-CSRFToken"] = csrf;
    }
    return h;
  }

  function withTerminal(url) {
    if (auth && auth.terminalId) {
      return url + (url.indexOf("?") < 0 ? "?" : "&") + "terminal_id=" + encodeURIComponent(auth.terminalId);
    }
    return url;
  }

  function getJson(path) {
    return fetch(withTerminal(api + path), { headers: headers(false), credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (body) { return { status: r.status, body: body }; });
      });
  }

  function postJson(path, body, key) {
    var h = headers(true);
    if (key) { h["Idempotency-Key"] = key; }
    return fetch(api + path, {
      method: "POST", headers: h, credentials: "same-origin", cache: "no-store", body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (data) {
        return { status: r.status, body: data, replayed: r.headers.get("Idempotent-Replayed") === "true" };
      });
    });
  }

  // --- setup --------------------------------------------------------------------------------
  function showSetup(error) {
    stopCamera();
    show(els.work, false);
    show(els.setup, true);
    setText(els.where, "");
    if (els.keyError) {
      setText(els.keyError, error || "");
      show(els.keyError, Boolean(error));
    }
    if (els.key) { els.key.focus(); }
  }

  function open(candidate) {
    auth = candidate;
    return getJson("terminal").then(function (r) {
      if (r.status !== 200) {
        var message = (r.body && r.body.message) || msg("key-invalid");
        if (candidate.key && r.status === 401) { store(KEY_STORE, null); }
        if (candidate.terminalId) { store(TERMINAL_STORE, null); }
        auth = null;
        showSetup(message);
        return false;
      }
      var t = r.body;
      setText(els.where, t.name + (t.place ? " · " + t.place : ""));
      [els.shiftLink, els.historyLink].forEach(function (link) {
        if (link) { link.href = link.getAttribute("data-base") + "?terminal_id=" + encodeURIComponent(t.id); }
      });
      show(els.setup, false);
      show(els.work, true);
      els.bill.focus();
      loadToday();
      return true;
    }).catch(function () {
      // No network: keep the choice; the page opens and the first scan says so.
      show(els.setup, false);
      show(els.work, true);
      return true;
    });
  }

  if (els.keyForm) {
    els.keyForm.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var key = (els.key.value || "").trim();
      if (!key) { showSetup(msg("key-invalid")); return; }
      open({ key: key }).then(function (ok) {
        if (ok) { store(KEY_STORE, key); els.key.value = ""; }
      });
    });
  }

  if (els.pickForm) {
    els.pickForm.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (!els.terminal || !els.terminal.value) { return; }
      var id = els.terminal.value;
      open({ terminalId: id }).then(function (ok) { if (ok) { store(TERMINAL_STORE, id); } });
    });
  }

  els.switchTerminal.addEventListener("click", function () {
    store(KEY_STORE, null);
    store(TERMINAL_STORE, null);
    auth = null;
    showSetup("");
  });

  // --- the scan -------------------------------------------------------------------------------
  function formError(text, field) {
    setText(els.formError, text || "");
    show(els.formError, Boolean(text));
    if (field) { field.focus(); }
  }

  function facts(pairs) {
    els.resultFacts.textContent = "";
    pairs.forEach(function (p) {
      if (p[1] === null || p[1] === undefined || p[1] === "") { return; }
      var row = document.createElement("div");
      var dt = document.createElement("dt");
      var dd = document.createElement("dd");
      dt.textContent = p[0];
      dd.textContent = p[1];
      if (p[2]) { dd.setAttribute("data-testid", p[2]); }
      row.appendChild(dt);
      row.appendChild(dd);
      els.resultFacts.appendChild(row);
    });
  }

  /* The member's own allowance per period (the receipt's member_today/_week/_month); the
     offer's stock is another fact: it says nothing about this member. */
  function remainingText(rem) {
    if (!rem || typeof rem !== "object") { return null; }
    var names = { member_today: msg("today"), member_week: msg("week"), member_month: msg("month") };
    var parts = [];
    ["member_today", "member_week", "member_month"].forEach(function (k) {
      if (typeof rem[k] === "number") { parts.push(names[k] + " " + rem[k]); }
    });
    return parts.length ? parts.join(" · ") : null;
  }

  function stockText(rem) {
    return rem && typeof rem.stock === "number" ? String(rem.stock) : null;
  }

  function showResult(kind, title, main, note) {
    els.result.className = "pos-result pos-result-" + kind;
    els.result.setAttribute("data-state", kind);
    setText(els.resultTitle, title);
    setText(els.resultMain, main);
    setText(els.resultNote, note || "");
    show(els.retry, kind === "network");
    show(els.result, true);
  }

  function approved(body, replayed) {
    var r = body.result || {};
    var member = (r.member && r.member.name) || (body.member && body.member.name) || "";
    showResult("ok", msg("approved"), msg("pays") + " " + yuan(r.pay_fen), replayed ? msg("replayed") : "");
    facts([
      [msg("bill"), yuan(r.bill_fen), "pos-fact-bill"],
      [msg("discount"), yuan(r.discount_fen), "pos-fact-discount"],
      [msg("subsidy"), r.subsidy_fen ? yuan(r.subsidy_fen) : null, "pos-fact-subsidy"],
      ["", (r.offer && r.offer.title) || "", "pos-fact-offer"],
      ["", member + (r.member && r.member.member_no ? " · " + r.member.member_no : ""), "pos-fact-member"],
      [msg("remaining"), remainingText(r.remaining), "pos-fact-remaining"],
      [msg("stock"), stockText(r.remaining), "pos-fact-stock"]
    ]);
  }

  function refused(body, status) {
    var text = (body && body.message) || msg("error") + " (" + status + ")";
    showResult("err", msg("refused"), text, "");
    facts([]);
  }

  function send(attempt) {
    busy = true;
    els.go.disabled = true;
    els.retry.disabled = true;
    showResult("wait", msg("working"), "", "");
    facts([]);
    return postJson("scan", attempt.body, attempt.key).then(function (r) {
      if (r.status >= 502 && r.status <= 504) { throw new Error("gateway " + r.status); }
      pending = null;
      if (r.status === 409 && r.body && r.body.code === "offer_choice") {
        showChoice(attempt.body, r.body);
        return;
      }
      if (r.status === 200 && r.body && r.body.ok) {
        approved(r.body, r.replayed);
        els.code.value = "";
        els.bill.value = "";
        els.bill.focus();
        loadToday();
      } else {
        refused(r.body, r.status);
        els.code.value = "";
        els.code.focus();
      }
    }).catch(function () {
      pending = attempt;
      showResult("network", msg("no-answer"), msg("network"), "");
      facts([]);
    }).then(function () {
      busy = false;
      els.go.disabled = false;
      els.retry.disabled = false;
    });
  }

  // --- choosing among several offers --------------------------------------------------------
  /* The server answered offer_choice: nothing was redeemed and the code is not used up. List
     the options (best first, preselected); the chosen one goes back with the same code. */
  function showChoice(body, answer) {
    var data = answer.data || {};
    choosing = body;
    show(els.result, false);
    els.choiceList.textContent = "";
    (data.offers || []).forEach(function (o, i) {
      var label = document.createElement("label");
      label.className = "pos-choice-item";
      label.setAttribute("data-testid", "pos-choice-item");
      label.setAttribute("data-offer-id", String(o.id));
      var radio = document.createElement("input");
      radio.type = "radio";
      radio.name = "offer";
      radio.value = String(o.id);
      radio.checked = o.id === data.best_id || (!data.best_id && i === 0);
      var text = document.createElement("span");
      text.className = "pos-choice-text";
      var title = document.createElement("strong");
      title.textContent = o.title;
      text.appendChild(title);
      if (o.id === data.best_id) {
        var best = document.createElement("span");
        best.className = "pos-badge pos-badge-best";
        best.setAttribute("data-testid", "pos-choice-best");
        best.textContent = msg("best");
        text.appendChild(best);
      }
      var line = document.createElement("span");
      line.className = "pos-choice-line";
      line.textContent = (o.summary || "") + " · " + msg("discount") + " " + yuan(o.discount_fen) +
        " · " + msg("pays") + " " + yuan(o.pay_fen) + (o.ends ? " · " + msg("ends") + " " + o.ends : "");
      text.appendChild(line);
      var left = remainingText(o.remaining);
      if (left) {
        var rem = document.createElement("span");
        rem.className = "pos-choice-line";
        rem.textContent = msg("remaining") + ": " + left;
        text.appendChild(rem);
      }
      label.appendChild(radio);
      label.appendChild(text);
      els.choiceList.appendChild(label);
    });
    show(els.choice, true);
    els.choiceGo.focus();
  }

  function hideChoice() {
    choosing = null;
    show(els.choice, false);
  }

  els.choice.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (busy || !choosing) { return; }
    var picked = els.choiceList.querySelector("input[name=offer]:checked");
    if (!picked) { return; }
    var body = JSON.parse(JSON.stringify(choosing));
    body.offer_id = Number(picked.value);
    hideChoice();
    send({ body: body, key: newKey() });
  });
  els.choiceCancel.addEventListener("click", function () {
    hideChoice();
    els.code.value = "";
    els.code.focus();
  });

  function submit() {
    if (busy || !auth) { return; }
    hideChoice();
    formError("");
    var billText = (els.bill.value || "").trim();
    if (!billText) { formError(msg("amount-required"), els.bill); return; }
    var fen = parseBill(billText);
    if (fen === null) { formError(msg("amount-invalid"), els.bill); return; }
    if (fen <= 0) { formError(msg("amount-zero"), els.bill); return; }
    if (MAX_BILL_FEN && fen > MAX_BILL_FEN) { formError(msg("amount-large"), els.bill); return; }
    var code = codeDigits(els.code.value);
    if (!/^\d{20}$/.test(code)) { formError(msg("code-invalid"), els.code); return; }
    var body = { code: code, bill: (fen / 100).toFixed(2), choose: true };
    if (auth.terminalId) { body.terminal_id = Number(auth.terminalId); }
    var same = pending && JSON.stringify(pending.body) === JSON.stringify(body);
    send(same ? pending : { body: body, key: newKey() });
  }

  els.form.addEventListener("submit", function (ev) { ev.preventDefault(); submit(); });
  els.bill.addEventListener("keydown", function (ev) {
    if (ev.key !== "Enter") { return; }
    ev.preventDefault();
    if (/^\d{20}$/.test(codeDigits(els.code.value))) { submit(); } else { els.code.focus(); }
  });
  els.retry.addEventListener("click", function () { if (pending && !busy) { send(pending); } });

  // --- camera ---------------------------------------------------------------------------------
  function stopCamera() {
    if (!scanner) { return; }
    var s = scanner;
    scanner = null;
    els.cameraToggle.setAttribute("aria-pressed", "false");
    s.stop().catch(function () { /* already stopped */ }).then(function () {
      try { s.clear(); } catch (e) { /* nothing to clear */ }
      show(els.camera, false);
    });
  }

  function onDecoded(text) {
    var digits = (text || "").replace(/\D/g, "");
    if (digits.length !== 20) { formError(msg("not-a-code")); return; }
    stopCamera();
    els.code.value = digits;
    if (parseBill(els.bill.value) === null) { formError(msg("amount-required"), els.bill); return; }
    submit();
  }

  els.cameraToggle.addEventListener("click", function () {
    if (scanner) { stopCamera(); return; }
    formError("");
    if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      formError(msg("camera-insecure"));
      return;
    }
    var lib = window.__Html5QrcodeLibrary__;
    if (!lib || !lib.Html5Qrcode) { formError(msg("camera-missing")); return; }
    show(els.camera, true);
    var formats = lib.Html5QrcodeSupportedFormats;
    scanner = new lib.Html5Qrcode("pos-camera", {
      formatsToSupport: formats ? [formats.QR_CODE, formats.CODE_128] : undefined,
      experimentalFeatures: { useBarCodeDetectorIfSupported: true },
      verbose: false
    });
    els.cameraToggle.setAttribute("aria-pressed", "true");
    scanner.start(
      { facingMode: "environment" },
      {
        fps: 10,
        qrbox: function (w, h) {
          var side = Math.floor(Math.min(w, h) * 0.8);
          return { width: Math.max(side, 120), height: Math.max(Math.floor(side * 0.75), 90) };
        }
      },
      onDecoded,
      function () { /* no code in this frame */ }
    ).catch(function () {
      scanner = null;
      els.cameraToggle.setAttribute("aria-pressed", "false");
      show(els.camera, false);
      formError(msg("camera-failed"));
    });
  });

  // --- today --------------------------------------------------------------------------------
  function loadToday() {
    return getJson("today").then(function (r) {
      if (r.status !== 200) { return; }
      var data = r.body;
      var t = data.totals || {};
      setText(els.totalCount, String(t.count || 0));
      setText(els.totalBill, yuan(t.bill_fen));
      setText(els.totalDiscount, yuan(t.discount_fen));
      setText(els.totalSubsidy, yuan(t.subsidy_fen));
      setText(els.totalPay, yuan(t.pay_fen));
      setText(els.totalVoided, t.voided ? t.voided + " " + msg("voided-count") : "");
      show(els.totalVoided, Boolean(t.voided));
      els.list.textContent = "";
      lastItem = null;
      (data.items || []).forEach(function (it) {
        if (it.id === data.last_id) { lastItem = it; }
        var li = document.createElement("li");
        li.className = "pos-item" + (it.voided ? " is-voided" : "");
        li.setAttribute("data-testid", "pos-item");
        li.setAttribute("data-id", String(it.id));
        var head = document.createElement("div");
        head.className = "pos-item-head";
        var when = document.createElement("span");
        when.className = "pos-item-time";
        when.textContent = it.time;
        var who = document.createElement("span");
        who.textContent = it.member + " · " + it.offer;
        head.appendChild(when);
        head.appendChild(who);
        var money = document.createElement("div");
        money.className = "pos-item-money";
        money.textContent = msg("bill") + " " + yuan(it.bill_fen) + " · " + msg("discount") + " " +
          yuan(it.discount_fen) + " · " + msg("pays") + " " + yuan(it.pay_fen);
        li.appendChild(head);
        li.appendChild(money);
        if (it.voided) {
          var badge = document.createElement("span");
          badge.className = "pos-badge";
          badge.textContent = msg("voided");
          li.appendChild(badge);
        }
        els.list.appendChild(li);
      });
      if (!(data.items || []).length) {
        var empty = document.createElement("li");
        empty.className = "pos-empty";
        empty.textContent = msg("no-redemptions");
        els.list.appendChild(empty);
      }
      els.voidOpen.disabled = !lastItem;
    }).catch(function () { /* offline: keep the list */ });
  }
  els.refresh.addEventListener("click", loadToday);

  // --- void the last one ----------------------------------------------------------------------
  function closeDialog() {
    if (typeof els.dialog.close === "function") { els.dialog.close(); } else { els.dialog.removeAttribute("open"); }
  }

  els.voidOpen.addEventListener("click", function () {
    if (!lastItem) { return; }
    voidKey = newKey();
    setText(els.voidWhat, lastItem.time + " · " + lastItem.member + " · " + lastItem.offer + " · " +
      msg("discount") + " " + yuan(lastItem.discount_fen));
    els.voidReason.value = "";
    setText(els.voidError, "");
    show(els.voidError, false);
    if (typeof els.dialog.showModal === "function") { els.dialog.showModal(); } else { els.dialog.setAttribute("open", ""); }
    els.voidReason.focus();
  });
  els.voidCancel.addEventListener("click", closeDialog);
  els.voidForm.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var reason = (els.voidReason.value || "").trim();
    if (!reason) {
      setText(els.voidError, msg("reason-required"));
      show(els.voidError, true);
      els.voidReason.focus();
      return;
    }
    var body = { redemption_id: lastItem.id, reason: reason };
    if (auth && auth.terminalId) { body.terminal_id = Number(auth.terminalId); }
    els.voidConfirm.disabled = true;
    postJson("void", body, voidKey).then(function (r) {
      if (r.status === 200 && r.body && r.body.ok) {
        closeDialog();
        showResult("info", msg("voided"), msg("void-done"), "");
        facts([]);
        loadToday();
      } else {
        setText(els.voidError, (r.body && r.body.message) || msg("error"));
        show(els.voidError, true);
      }
    }).catch(function () {
      setText(els.voidError, msg("network"));
      show(els.voidError, true);
    }).then(function () { els.voidConfirm.disabled = false; });
  });

  // --- start ----------------------------------------------------------------------------------
  var savedKey = stored(KEY_STORE);
  var savedTerminal = stored(TERMINAL_STORE);
  if (savedKey) {
    open({ key: savedKey });
  } else if (signedIn && savedTerminal && els.terminal &&
             Array.prototype.some.call(els.terminal.options, function (o) { return o.value === savedTerminal; })) {
    open({ terminalId: savedTerminal });
  } else {
    showSetup("");
  }
}());
