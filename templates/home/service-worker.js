/* Portail Familles service worker, version {{ version }}.
   Keeps public static files and the offline page, nothing else. Pages (the family area,
   the admin, public pages), documents, PDFs, the API and any answer to a logged-in visitor
   go to the network only and are never stored: on a shared or lost phone, nothing private
   can be read from this cache. */
"use strict";

var CACHE = "portail-familles-{{ version }}";
var OFFLINE_URL = "{{ offline_url|escapejs }}";
var STATIC_PREFIX = "{{ static_prefix|escapejs }}";
var SHELL = [{% for url in shell %}"{{ url|escapejs }}", {% endfor %}OFFLINE_URL];

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      // "omit": the offline page is fetched as an anonymous visitor would get it.
      return cache.addAll(SHELL.map(function (url) {
        return new Request(url, { credentials: "omit", cache: "reload" });
      }));
    }).then(function () {
      return self.skipWaiting();
    })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name !== CACHE;
      }).map(function (name) {
        return caches.delete(name);
      }));
    }).then(function () {
      return self.clients.claim();
    })
  );
});

function isPublicStatic(url) {
  return url.origin === self.location.origin && url.pathname.indexOf(STATIC_PREFIX) === 0;
}

function storable(response) {
  var control = response.headers.get("Cache-Control") || "";
  return response.ok && response.type === "basic" && !/no-store|private/.test(control);
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") {
    return;
  }
  var url = new URL(request.url);
  if (request.mode === "navigate") {
    // Network only; offline, the offline page stands in. The page itself is never stored.
    event.respondWith(
      fetch(request).catch(function () {
        return caches.match(OFFLINE_URL);
      })
    );
    return;
  }
  if (isPublicStatic(url)) {
    // Stale while revalidate: the kept copy at once, a fresh one kept for next time.
    event.respondWith(
      caches.open(CACHE).then(function (cache) {
        return cache.match(request).then(function (kept) {
          var fresh = fetch(request).then(function (response) {
            if (storable(response)) {
              cache.put(request, response.clone());
            }
            return response;
          }).catch(function (error) {
            if (kept) {
              return kept;
            }
            throw error;
          });
          return kept || fresh;
        });
      })
    );
  }
  // Anything else (documents, PDFs, the API, media): the browser's own network request.
});
