/*
 * Qaxal loader: the browser script served at GET /l/{loader_token}.js.
 * Plain ES2017 so esbuild only minifies it (scripts/build-loader.mjs);
 * render.ts replaces the __QX_CONFIG__ identifier with this JSON:
 *   { lt: loader token, ct: site container token,
 *     g: GTM load path "/k/{ct}?p=…" (encoded server-side: no literal GTM URL),
 *     m: { r: gtm_recovery, k: cookie restore, d: adblock/ITP detection } }
 * Rules: never throw into the page, one global (window.__qx), work when GTM is blocked.
 */
(function (w, d) {
  var C = __QX_CONFIG__;
  var BOOT_TIMEOUT_MS = 1500;
  var DETECT_DELAY_MS = 300;
  // Hits and tag scripts that blockers drop; the /k/ route serves exactly these paths.
  // (/g/collect, /collect, /r/collect, /ccm/collect, /gtm.js, /gtag/js, /gtag/destination)
  var RECOVERABLE_PATH = /^\/(((g|r|ccm)\/)?collect|gtm\.js|gtag\/(js|destination))$/;
  // google-analytics.com, googletagmanager.com, google.com, doubleclick.net and their subdomains
  var GOOGLE_HOST = /(^|\.)(google(-analytics|tagmanager)?\.com|doubleclick\.net)$/;
  // RFC 6265 token and cookie-octets: nothing that could add an attribute to the cookie string.
  var COOKIE_NAME = /^[\w!#$%&'*+.^`|~-]+$/;
  var COOKIE_VALUE = /^[!#-+\--:<-[\]-~]*$/;

  function noop() {}

  function safe(fn) {
    return function () {
      try {
        return fn.apply(this, arguments);
      } catch (e) {}
    };
  }

  function base64url(text) {
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function main() {
    if (w.__qx) return;
    var state = (w.__qx = {});
    // Every URL is built from the loader's own URL, so any host of the container works.
    var origin = new URL(d.currentScript.src).origin;
    var ownHost = new URL(origin).host;
    var nativeFetch = w.fetch;

    // A Google (or own-host) tracking URL becomes {origin}/k/{ct}?p=…; anything else is returned as given.
    function recover(url) {
      try {
        var u = new URL(String(url), location.href);
        if ((GOOGLE_HOST.test(u.hostname) || u.host === ownHost) && RECOVERABLE_PATH.test(u.pathname)) {
          return origin + "/k/" + C.ct + "?p=" + base64url(u.pathname + u.search);
        }
      } catch (e) {}
      return url;
    }

    function hookSrc(Element) {
      var proto = Element && Element.prototype;
      var desc = proto && Object.getOwnPropertyDescriptor(proto, "src");
      if (!desc || !desc.set) return;
      Object.defineProperty(proto, "src", {
        configurable: true,
        enumerable: true,
        get: desc.get,
        set: function (value) {
          desc.set.call(this, recover(value));
        },
      });
    }

    // ES2017 browsers all have fetch, XMLHttpRequest and sendBeacon; a failure here only skips recovery.
    function installInterceptors() {
      w.fetch = function (input, init) {
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
      xhr.open = function () {
        var args = [].slice.call(arguments);
        args[1] = recover(args[1]);
        return nativeOpen.apply(this, args);
      };
      var nav = navigator;
      var nativeBeacon = nav.sendBeacon;
      nav.sendBeacon = function (url, data) {
        return nativeBeacon.call(nav, recover(url), data);
      };
      hookSrc(w.HTMLImageElement);
      hookSrc(w.HTMLScriptElement);
    }

    // Restores only cookies the browser lost; the edge decides which and for how long.
    function restoreCookies(list) {
      var host = location.hostname;
      var secure = location.protocol == "https:" ? "; Secure" : "";
      (list || []).forEach(function (c) {
        var domain = String(c.domain);
        var maxAge = c.maxAge | 0;
        var domainOk = host == domain || host.slice(-domain.length - 1) == "." + domain;
        if (!COOKIE_NAME.test(c.name) || !COOKIE_VALUE.test(c.value) || !(maxAge > 0) || !domainOk) return;
        if (("; " + d.cookie).indexOf("; " + c.name + "=") > -1) return;
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
      setTimeout(start, BOOT_TIMEOUT_MS);
      nativeFetch
        .call(w, origin + "/boot", {
          method: "POST",
          credentials: "include",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ loader_token: C.lt, host: location.hostname }),
        })
        .then(function (res) {
          return res.ok ? res.json() : {};
        })
        .then(function (body) {
          restoreCookies(body && body.restoreCookies);
        })
        .catch(noop)
        .then(start);
    }

    function loadGtm() {
      var dataLayer = (w.dataLayer = w.dataLayer || []);
      dataLayer.push({ "gtm.start": new Date().getTime(), event: "gtm.js" });
      var s = d.createElement("script");
      s.async = true;
      s.src = origin + C.g;
      var first = d.getElementsByTagName("script")[0];
      if (first && first.parentNode) first.parentNode.insertBefore(s, first);
      else (d.head || d.documentElement).appendChild(s);
    }

    function newSessionId() {
      var bytes = new Uint8Array(16);
      crypto.getRandomValues(bytes);
      return [].map
        .call(bytes, function (b) {
          return (b + 256).toString(16).slice(1);
        })
        .join("");
    }

    function report(adblock, itp) {
      var body = JSON.stringify({ loader_token: C.lt, session_id: state.sid, adblock: adblock, itp: itp });
      var url = origin + "/mark-session-detection";
      nativeFetch
        .call(w, url, { method: "POST", keepalive: true, headers: { "content-type": "application/json" }, body: body })
        .catch(noop);
    }

    // Once per browser session: without sessionStorage we cannot promise that, so we do not report.
    function detect() {
      var KEY = "__qx_sid";
      if (sessionStorage.getItem(KEY)) return;
      state.sid = newSessionId();
      sessionStorage.setItem(KEY, state.sid);
      var ua = navigator.userAgent;
      var itp = /AppleWebKit/.test(ua) && /Safari/.test(ua) && !/Chrome|Chromium|Android/.test(ua);
      var bait = d.createElement("div");
      bait.className = "adsbox ad-banner pub_300x250 textAd";
      bait.style.cssText = "position:absolute;top:-99px;height:9px";
      d.body.appendChild(bait);
      var baitRequest = nativeFetch
        .call(w, "https://pagead2.googlesyndication.com/pagead/js/adsbygoogle.js", { method: "HEAD", mode: "no-cors" })
        .then(
          function () {
            return false;
          },
          function () {
            return true;
          },
        );
      var delay = new Promise(function (resolve) {
        setTimeout(resolve, DETECT_DELAY_MS);
      });
      Promise.all([baitRequest, delay])
        .then(function (results) {
          // offsetParent is null once the bait is removed or display:none (itself or an ancestor).
          var hidden = !bait.offsetParent || !bait.offsetHeight || getComputedStyle(bait).visibility == "hidden";
          if (bait.parentNode) bait.parentNode.removeChild(bait);
          report(results[0] || hidden, itp);
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
