/* Reverse scan: the member confirms, the phone posts the poster's token (Idempotency-Key per tap). */
(function () {
  "use strict";
  var app = document.getElementById("poster-app");
  var button = document.getElementById("poster-submit");
  var out = document.getElementById("poster-result");
  if (!app || !button || !out) { return; }

  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  function newKey() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return (x < 16 ? "0" : "") + x.toString(16); }).join("");
  }
  var key = newKey(); // one key for this tap, reused by retries of the same tap

  button.addEventListener("click", function () {
    button.disabled = true;
    fetch(app.getAttribute("data-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": csrfToken(),
        "Idempotency-Key": key
      },
      body: JSON.stringify({ token: app.getAttribute("data-token"), payload: {} })
    }).then(function (resp) {
      return resp.json().then(function (data) { return { ok: resp.ok, data: data }; });
    }).then(function (r) {
      out.classList.toggle("is-good", r.ok);
      out.classList.toggle("is-alert", !r.ok);
      out.textContent = r.ok ? app.getAttribute("data-msg-done") : (r.data.message || app.getAttribute("data-msg-error"));
      if (!r.ok) { key = newKey(); button.disabled = false; }
    }).catch(function () {
      out.classList.add("is-alert");
      out.textContent = app.getAttribute("data-msg-error");
      button.disabled = false; // a retry keeps the same key
    });
  });
})();
