/* Service worker of the "My code" page (scope: the page's folder). Keeps the page and its
 * assets so that the page opens and works with no network. API calls are never cached. */
"use strict";
var CACHE = "gonghui-code-__VERSION__";
var PAGE = "{{ page|escapejs }}";
var ASSETS = [{% for a in assets %}"{{ a|escapejs }}"{% if not forloop.last %}, {% endif %}{% endfor %}];

function sameOrigin(url) { return url.origin === self.location.origin; }

function keep(cache, url) {
  return fetch(url, { credentials: "same-origin" }).then(function (resp) {
    if (resp.ok && !resp.redirected && resp.type === "basic") { return cache.put(url, resp); }
  }).catch(function () { /* offline at install: the page fills the cache later */ });
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(ASSETS.concat([PAGE]).map(function (url) { return keep(cache, url); }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) {
      return n.indexOf("gonghui-code-") === 0 && n !== CACHE;
    }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "cache" || !Array.isArray(data.urls)) { return; }
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(data.urls.slice(0, 50).map(function (raw) {
      var url = new URL(raw, self.location.href);
      if (!sameOrigin(url)) { return null; }
      if (url.pathname === PAGE) { return keep(cache, PAGE); }
      if (url.pathname.indexOf("/static/") === 0) { return keep(cache, url.href); }
      return null;
    }));
  }));
});

self.addEventListener("fetch", function (event) {
  var req = event.request;
  if (req.method !== "GET") { return; }
  var url = new URL(req.url);
  if (!sameOrigin(url)) { return; }
  if (url.pathname === PAGE) {
    // The page: network first (fresh CSRF token, sign-in state), the kept copy when offline.
    event.respondWith(fetch(req).then(function (resp) {
      if (resp.ok && !resp.redirected && resp.type === "basic") {
        var copy = resp.clone();
        caches.open(CACHE).then(function (cache) { cache.put(PAGE, copy); });
      }
      return resp;
    }).catch(function () {
      return caches.open(CACHE).then(function (cache) { return cache.match(PAGE); }).then(function (hit) {
        return hit || Response.error();
      });
    }));
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {
    // Assets: the kept copy first, the network otherwise (and keep it).
    event.respondWith(caches.open(CACHE).then(function (cache) {
      return cache.match(req).then(function (hit) {
        if (hit) { return hit; }
        return fetch(req).then(function (resp) {
          if (resp.ok && resp.type === "basic") { cache.put(req, resp.clone()); }
          return resp;
        });
      });
    }));
  }
  // Everything else (the API) goes to the network untouched.
});
