/* Member H5 behaviour. ES2017 at most (WeChat's in-app browser); no inline scripts (CSP). */
(function () {
  "use strict";

  var timer = null;

  /* After "Send code": disable the button and count down; the status carries data-countdown. */
  function startCountdown(root) {
    var status = (root || document).querySelector("#otp-status[data-countdown]");
    var button = document.getElementById("send-code");
    if (!status || !button) { return; }
    var left = parseInt(status.getAttribute("data-countdown"), 10);
    if (!(left > 0)) { return; }
    status.removeAttribute("data-countdown");
    if (!button.getAttribute("data-label")) {
      button.setAttribute("data-label", button.textContent);
    }
    var label = button.getAttribute("data-label");
    var wait = button.getAttribute("data-label-wait") || "%ss";
    if (timer) { clearInterval(timer); }
    button.disabled = true;
    button.classList.add("is-waiting");
    button.textContent = wait.replace("%s", String(left));
    timer = setInterval(function () {
      left -= 1;
      if (left <= 0) {
        clearInterval(timer);
        timer = null;
        button.disabled = false;
        button.classList.remove("is-waiting");
        button.textContent = label;
        return;
      }
      button.textContent = wait.replace("%s", String(left));
    }, 1000);
  }

  /* Show the gig-trade field only for gig workers (it is always shown without JS). */
  function bindShowWhen(root) {
    var blocks = (root || document).querySelectorAll("[data-show-when]");
    Array.prototype.forEach.call(blocks, function (block) {
      var rule = block.getAttribute("data-show-when").split("=");
      var input = document.getElementById(rule[0]);
      if (!input) { return; }
      var update = function () {
        block.classList.toggle("is-hidden", input.value !== rule[1]);
      };
      input.addEventListener("change", update);
      update();
    });
  }

  function init(root) {
    startCountdown(root);
    bindShowWhen(root);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function () { init(document); });
})();
