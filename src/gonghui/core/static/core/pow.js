// Proof of work for anonymous forms (see gonghui/core/pow.py). A form marked data-pow carries
// a server-signed challenge in input[name=pow_challenge] and the difficulty in data-pow-bits;
// this finds a counter such that SHA-256("challenge:counter") starts with that many zero bits,
// starting as soon as the page loads, and fills input[name=pow_nonce]. If the person sends the
// form before it is done, sending waits for it (a fraction of a second).
(function () {
  "use strict";

  function leadingZeroBits(bytes, bits) {
    var full = bits >> 3;
    for (var i = 0; i < full; i++) {
      if (bytes[i] !== 0) return false;
    }
    var rest = bits & 7;
    return rest === 0 || (bytes[full] >> (8 - rest)) === 0;
  }

  async function solve(challenge, bits) {
    var enc = new TextEncoder();
    var batch = 64;
    for (var start = 0; ; start += batch) {
      var jobs = [];
      for (var n = start; n < start + batch; n++) {
        jobs.push(crypto.subtle.digest("SHA-256", enc.encode(challenge + ":" + n)));
      }
      var digests = await Promise.all(jobs);
      for (var k = 0; k < digests.length; k++) {
        if (leadingZeroBits(new Uint8Array(digests[k]), bits)) return String(start + k);
      }
    }
  }

  function arm(form) {
    var challenge = form.querySelector("input[name=pow_challenge]");
    var nonce = form.querySelector("input[name=pow_nonce]");
    if (!challenge || !nonce || !window.crypto || !crypto.subtle) return;
    var bits = parseInt(form.getAttribute("data-pow-bits"), 10) || 0;
    var started = performance.now();
    var done = solve(challenge.value, bits).then(function (value) {
      nonce.value = value;
      form.setAttribute("data-pow-ms", String(Math.round(performance.now() - started)));
      form.setAttribute("data-pow-ready", "true");
      return value;
    });
    form.addEventListener("submit", function (event) {
      if (nonce.value) return;
      event.preventDefault();
      done.then(function () {
        HTMLFormElement.prototype.submit.call(form);
      });
    });
  }

  function init() {
    var forms = document.querySelectorAll("form[data-pow]");
    for (var i = 0; i < forms.length; i++) arm(forms[i]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
