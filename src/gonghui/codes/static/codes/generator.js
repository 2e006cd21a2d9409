/* The benefit-code generator (docs/code-protocol.md), for the member's phone.
 *
 * Pure: Web Crypto HMAC-SHA256 and integer arithmetic, no DOM, no network. Exposes
 * globalThis.GonghuiCode (a classic script, so it runs in WeChat's browser and in a service
 * worker alike). ES2017 at most. Tests run it on the published vectors in Chromium.
 *
 *   code = id (9) ‖ step mod 100 (2) ‖ seq (2) ‖ DT7(HMAC-SHA256(seed, 0x01 ‖ u64be(step) ‖ u8(seq) ‖ u32be(id)))
 */
(function (root) {
  "use strict";

  var STEP_SECONDS = 30;
  var SEQ_MAX = 99;
  var ID_MIN = 100000000;
  var ID_MAX = 999999999;
  var MAC_MODULUS = 10000000; // 7 digits
  var TWO_32 = 4294967296;

  function subtle() {
    if (!root.crypto || !root.crypto.subtle) {
      throw new Error("Web Crypto is not available (it needs https or localhost)");
    }
    return root.crypto.subtle;
  }

  function hexToBytes(hex) {
    if (typeof hex !== "string" || !/^[0-9a-fA-F]{64}$/.test(hex)) {
      throw new Error("a seed is 32 bytes written as 64 hex digits");
    }
    var out = new Uint8Array(32);
    for (var i = 0; i < 32; i += 1) {
      out[i] = parseInt(hex.substr(i * 2, 2), 16);
    }
    return out;
  }

  function bytesToHex(bytes) {
    var s = "";
    for (var i = 0; i < bytes.length; i += 1) {
      s += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    }
    return s;
  }

  /* The seed as an HMAC key. Not extractable by default: the page keeps only the CryptoKey. */
  function importSeed(seedHex, extractable) {
    return subtle().importKey(
      "raw", hexToBytes(seedHex), { name: "HMAC", hash: "SHA-256" }, !!extractable, ["sign"]
    );
  }

  function checkInt(value, min, max, what) {
    if (typeof value !== "number" || Math.floor(value) !== value || value < min || value > max) {
      throw new Error(what + " out of range");
    }
  }

  /* The 14 signed bytes: version 0x01, step (u64 big-endian), seq (u8), credential id (u32 BE). */
  function message(credentialId, step, seq) {
    checkInt(credentialId, ID_MIN, ID_MAX, "credential id");
    checkInt(step, 0, Number.MAX_SAFE_INTEGER, "step");
    checkInt(seq, 0, SEQ_MAX, "seq");
    var msg = new Uint8Array(14);
    var view = new DataView(msg.buffer);
    view.setUint8(0, 1);
    view.setUint32(1, Math.floor(step / TWO_32));
    view.setUint32(5, step % TWO_32);
    view.setUint8(9, seq);
    view.setUint32(10, credentialId);
    return msg;
  }

  /* RFC 4226 dynamic truncation, modulo 10^7. */
  function truncate(digest) {
    var d = new Uint8Array(digest);
    var off = d[d.length - 1] & 0x0f;
    var bin = ((d[off] & 0x7f) << 24) | (d[off + 1] << 16) | (d[off + 2] << 8) | d[off + 3];
    return bin % MAC_MODULUS;
  }

  function pad(n, width) {
    var s = String(n);
    while (s.length < width) { s = "0" + s; }
    return s;
  }

  /* The 20-digit code. ``key`` is a CryptoKey from importSeed, or the seed as 64 hex digits. */
  async function codeFor(key, credentialId, step, seq) {
    var msg = message(credentialId, step, seq);
    var cryptoKey = typeof key === "string" ? await importSeed(key, false) : key;
    var digest = await subtle().sign("HMAC", cryptoKey, msg);
    return pad(credentialId, 9) + pad(step % 100, 2) + pad(seq, 2) + pad(truncate(digest), 7);
  }

  function timeStep(unixMillis) {
    return Math.floor(unixMillis / 1000 / STEP_SECONDS);
  }

  /* Seconds left in the step that contains ``unixMillis``. */
  function secondsLeft(unixMillis) {
    var period = STEP_SECONDS * 1000;
    return Math.ceil((period - (unixMillis % period)) / 1000);
  }

  /* "12345678901234567890" -> "1234 5678 9012 3456 7890" (what a cashier reads and types). */
  function format(code) {
    return String(code).replace(/(\d{4})(?=\d)/g, "$1 ");
  }

  root.GonghuiCode = {
    STEP_SECONDS: STEP_SECONDS,
    SEQ_MAX: SEQ_MAX,
    importSeed: importSeed,
    hexToBytes: hexToBytes,
    bytesToHex: bytesToHex,
    message: message,
    truncate: truncate,
    codeFor: codeFor,
    timeStep: timeStep,
    secondsLeft: secondsLeft,
    format: format
  };
})(typeof self !== "undefined" ? self : globalThis);
