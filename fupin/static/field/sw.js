/* The field app's service worker (served at /field/sw.js so that its scope is /field/): the app's page and its
   static files come from the cache when there is no network. Data lives in IndexedDB (app.js), never here. */
importScripts("__WORKBOX__");
workbox.setConfig({ debug: false, modulePathPrefix: "__STATIC__vendor/workbox/" });

const PAGES = "fupin-field-pages";
const STATIC = "fupin-field-static";
const PRECACHE = __PRECACHE__;
const { registerRoute } = workbox.routing;
const { CacheFirst } = workbox.strategies;

self.addEventListener("install", (event) => {
  event.waitUntil(
    Promise.all([
      caches.open(STATIC).then((cache) => cache.addAll(PRECACHE)),
      caches.open(PAGES).then((cache) => cache.add(new Request("/field/", { credentials: "same-origin" }))),
    ]).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("message", (event) => {
  // sign-out and wipe: nothing of the app stays on the phone
  if (event.data && event.data.type === "wipe") {
    event.waitUntil(Promise.all([caches.delete(PAGES), caches.delete(STATIC)]));
  }
});

// The app's page: the network first (a fresh CSRF token, the current user), the cached copy without a network.
// A plain handler: Workbox's NetworkFirst did not answer an offline navigation from its cache here (Chromium 1xx).
self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.mode === "navigate" && url.pathname === "/field/") {
    event.respondWith(
      fetch(event.request)
        .then((response) => {
          if (response.ok) caches.open(PAGES).then((cache) => cache.put("/field/", response.clone()));
          return response;
        })
        .catch(() => caches.open(PAGES).then((cache) => cache.match("/field/")))
    );
  }
});
registerRoute(({ url }) => PRECACHE.includes(url.pathname), new CacheFirst({ cacheName: STATIC }));
