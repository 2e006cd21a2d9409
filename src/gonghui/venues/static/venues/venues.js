/* Venues list: "Sort by distance" asks the browser for the position only when tapped and reloads
   the list with ?lat=&lng= (the server computes the distances; nothing is stored). ES2017 at
   most; no inline scripts (CSP). */
(function () {
  "use strict";

  function init() {
    var button = document.querySelector("[data-locate]");
    var status = document.getElementById("locate-status");
    if (!button || !status || !navigator.geolocation) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      status.textContent = button.getAttribute("data-wait") || "";
      navigator.geolocation.getCurrentPosition(function (pos) {
        var url = new URL(window.location.href);
        url.searchParams.set("lat", pos.coords.latitude.toFixed(5));
        url.searchParams.set("lng", pos.coords.longitude.toFixed(5));
        window.location.assign(url.toString());
      }, function () {
        button.disabled = false;
        status.textContent = button.getAttribute("data-denied") || "";
      }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 300000 });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
