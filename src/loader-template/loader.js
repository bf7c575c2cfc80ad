/*
 * The loader: the browser script of one site (its per-site path, or GET /l/{loader_token}.js).
 * Plain ES2017 so esbuild only minifies it (scripts/build-loader.mjs);
 * render.ts replaces the __QX_CONFIG__ identifier with this JSON (render.ts LoaderConfig):
 *   { lt: loader token, n: page name, h: hit path, q: payload parameter, s: payload seed,
 *     g: GTM load path (encoded server-side: no literal GTM URL), b: boot path, x: detection path,
 *     m: { r: gtm_recovery, k: cookie restore, d: adblock/ITP detection } }
 * Rules: never throw into the page, one global (named per site: nothing all sites share),
 * work when GTM is blocked.
 */
(function (w, d) {
  var C = __QX_CONFIG__;
  // Hits and tag scripts that blockers drop; the /k/ route serves exactly these paths.
  // (/g/collect, /collect, /r/collect, /ccm/collect, /gtm.js, /gtag/js, /gtag/destination)
  var RECOVERABLE_PATH = /^\/(((g|r|ccm)\/)?collect|gtm\.js|gtag\/(js|destination))$/;
  // google-analytics.com, googletagmanager.com, google.com, doubleclick.net and their subdomains
  var GOOGLE_HOST = /(^|\.)(google(-analytics|tagmanager)?\.com|doubleclick\.net)$/;
  // RFC 6265 token and cookie-octets: nothing that could add an attribute to the cookie string.
  var COOKIE_NAME = /^[\w!#$%&'*+.^`|~-]+$/;
  var COOKIE_VALUE = /^[!#-+\--:<-[\]-~]*$/;

  function noop() {}

  // Every entry point runs through this: a loader error never reaches the page.
  var safe = (fn) => () => {
    try {
      fn();
    } catch (e) {}
  };

  // The site's payload codec (src/shared/site-endpoints.ts): bytes XORed with a xorshift keystream, then
  // base64 written in a permuted base64url alphabet. Seed 0 is plain base64url.
  var BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  var alphabet = BASE64.replace("+", "-").replace("/", "_").split("");
  var xorshift = (x) => ((x ^= x << 13), (x ^= x >>> 17), x ^ (x << 5));
  for (var i = 63, x = C.s; C.s && i > 0; i--) {
    var j = ((x = xorshift(x)) >>> 0) % (i + 1);
    var swap = alphabet[i];
    alphabet[i] = alphabet[j];
    alphabet[j] = swap;
  }

  function encode(text) {
    var x = C.s;
    var binary = "";
    new TextEncoder().encode(text).forEach((byte) => (binary += String.fromCharCode((byte ^ (x = xorshift(x))) & 255)));
    return btoa(binary)
      .replace(/=/g, "")
      .replace(/./g, (c) => alphabet[BASE64.indexOf(c)]);
  }

  function main() {
    if (w[C.n]) return;
    w[C.n] = 1;
    // Every URL is built from the loader's own URL, so any host of the container works.
    var origin = new URL(d.currentScript.src).origin;
    var ownHost = new URL(origin).host;
    var nativeFetch = w.fetch;

    // A Google (or own-host) tracking URL becomes {origin}{hit path}?{param}=…; anything else is returned as given.
    function recover(url) {
      try {
        var u = new URL(String(url), location.href);
        if ((GOOGLE_HOST.test(u.hostname) || u.host === ownHost) && RECOVERABLE_PATH.test(u.pathname)) {
          return origin + C.h + "?" + C.q + "=" + encode(u.pathname + u.search);
        }
      } catch (e) {}
      return url;
    }

    function hookSrc(Element) {
      var proto = Element && Element.prototype;
      var desc = proto && Object.getOwnPropertyDescriptor(proto, "src");
      var set = desc && desc.set;
      if (!set) return;
      // The native descriptor, with only its setter wrapped.
      desc.set = function (value) {
        set.call(this, recover(value));
      };
      Object.defineProperty(proto, "src", desc);
    }

    // ES2017 browsers all have fetch, XMLHttpRequest and sendBeacon; a failure here only skips recovery.
    function installInterceptors() {
      w.fetch = (input, init) => {
        try {
          if (input instanceof Request) {
            var url = recover(input.url);
            if (url !== input.url) input = new Request(url, input);
          } else {
            input = recover(input);
          }
        } catch (e) {}
        return nativeFetch.call(w, input, init);
      };
      var xhr = XMLHttpRequest.prototype;
      var nativeOpen = xhr.open;
      // open() alone carries the URL; send() passes method and body through untouched.
      xhr.open = function (method, url, ...rest) {
        return nativeOpen.call(this, method, recover(url), ...rest);
      };
      var nav = navigator;
      var nativeBeacon = nav.sendBeacon;
      nav.sendBeacon = (url, data) => nativeBeacon.call(nav, recover(url), data);
      hookSrc(w.HTMLImageElement);
      hookSrc(w.HTMLScriptElement);
    }

    // Restores only cookies the browser lost; the edge decides which and for how long.
    function restoreCookies(list) {
      var host = location.hostname;
      var secure = location.protocol == "https:" ? "; Secure" : "";
      (list || []).forEach((c) => {
        var domain = String(c.domain);
        var maxAge = c.maxAge | 0;
        var domainOk = host == domain || host.slice(-domain.length - 1) == "." + domain;
        if (!COOKIE_NAME.test(c.name) || !COOKIE_VALUE.test(c.value) || !(maxAge > 0) || !domainOk) return;
        if (("; " + d.cookie).includes("; " + c.name + "=")) return;
        d.cookie =
          c.name + "=" + c.value + "; Max-Age=" + maxAge + "; Domain=" + domain + "; Path=/" + secure + "; SameSite=Lax";
      });
    }

    // Boot never holds GTM back for long: whichever comes first, answer or timeout, starts it.
    function boot(then) {
      var started = false;
      function start() {
        if (started) return;
        started = true;
        then();
      }
      if (!C.m.k) return start();
      setTimeout(start, 1500); // boot timeout
      nativeFetch
        .call(w, origin + C.b, {
          method: "POST",
          credentials: "include",
          // No content-type: a text/plain POST needs no CORS preflight, and the edge reads JSON either way.
          body: JSON.stringify({ loader_token: C.lt, host: location.hostname }),
        })
        .then((res) => res.ok ? res.json() : {})
        .then((body) => restoreCookies(body && body.restoreCookies))
        .catch(noop)
        .then(start);
    }

    function loadGtm() {
      var dataLayer = (w.dataLayer = w.dataLayer || []);
      dataLayer.push({ "gtm.start": new Date().getTime(), event: "gtm.js" });
      var s = d.createElement("script");
      s.async = true;
      s.src = origin + C.g;
      (d.head || d.documentElement).appendChild(s);
    }

    // Once per browser session: without sessionStorage we cannot promise that, so we do not report.
    function detect() {
      var KEY = C.n + "s";
      if (sessionStorage.getItem(KEY)) return;
      var sid = crypto.randomUUID().replace(/-/g, "");
      sessionStorage.setItem(KEY, sid);
      var ua = navigator.userAgent;
      // Safari's UA without Chrome's or Android's ("Chrom" covers Chromium).
      var itp = /Safari/.test(ua) && !/Chrom|Android/.test(ua);
      var bait = d.createElement("div");
      bait.className = "adsbox ad-banner pub_300x250 textAd";
      bait.style.cssText = "position:absolute;top:-99px;height:9px";
      d.body.appendChild(bait);
      var baitRequest = nativeFetch
        .call(w, "https://pagead2.googlesyndication.com/pagead/js/adsbygoogle.js", { method: "HEAD", mode: "no-cors" })
        .then(
          () => false,
          () => true,
        );
      var delay = new Promise((resolve) => {
        setTimeout(resolve, 300); // time for a blocker to hide the bait
      });
      Promise.all([baitRequest, delay])
        .then((results) => {
          // offsetParent is null once the bait is removed or display:none (itself or an ancestor).
          var hidden = !bait.offsetParent || !bait.offsetHeight || getComputedStyle(bait).visibility == "hidden";
          if (bait.parentNode) bait.parentNode.removeChild(bait);
          var body = JSON.stringify({ loader_token: C.lt, session_id: sid, adblock: results[0] || hidden, itp: itp });
          nativeFetch.call(w, origin + C.x, { method: "POST", keepalive: true, body: body }).catch(noop);
        })
        .catch(noop);
    }

    if (C.m.r) safe(installInterceptors)();
    boot(safe(loadGtm));
    if (C.m.d) {
      if (d.body) safe(detect)();
      else d.addEventListener("DOMContentLoaded", safe(detect));
    }
  }

  safe(main)();
})(window, document);
