#!/usr/bin/env node
// STAND-IN for a client's server-side GTM container (sGTM itself is outside this project).
// It only imitates what the edge and the loader meet in practice, for local runs and the
// browser end-to-end test; it is not a model of sGTM:
//   - /g/collect, /collect, /r/collect, /ccm/collect: 204, sets `FPID` (HttpOnly) like sGTM;
//   - /gtm.js?id=…: a GTM-like script that sets `_ga`, pushes a dataLayer event and fires one
//     GA4 hit per transport (fetch, sendBeacon, XHR, image pixel; `_tr` names it) to
//     https://region1.google-analytics.com/g/collect, which the loader must rewrite to /k/;
//   - /demo: a page that includes the loader `<script src="/l/{token}.js">`
//     (token from `?token=` or the `loaderToken` given at start; `?loader_origin=http://host:port`
//     loads it from another host instead; `?loader_path=/…` embeds a site's own loader path);
//   - GET /healthy: 200 "ok", as sGTM answers its health check (the alerts job's probe; not recorded);
//   - GET /__standin/hits: every request it recorded (JSON); DELETE /__standin/hits clears them.
// Failure modes (stand-in behaviour for the reliability suite, test/reliability), set in process
// with `setFault(fault)`, `null` for normal again; requests that reach it are still recorded:
//   - "refuse": the port is closed (connections refused) until the fault is cleared;
//   - "hang": requests are read and never answered (their sockets close when the fault is cleared);
//   - "reset": a 200 with half of its announced body, then a TCP reset;
//   - { drip: ms, bytes }: a 200 whose `bytes`-byte body comes one byte every `ms`;
//   - { delay: ms }: the normal answer, `ms` late.
// `onHit(hit)` (optional) takes each recorded request instead of `hits` (a long run keeps nothing).
// CLI: node scripts/dev/standins/sgtm.mjs [--port 8788] [--loader-token lt_…]
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";

const COLLECT_PATHS = new Set(["/g/collect", "/collect", "/r/collect", "/ccm/collect"]);
const FPID_MAX_AGE_S = 2 * 365 * 86400;

/** The GTM-like script. Plain ES2017, like what a real container would run. */
function gtmLikeScript(gtmId) {
  return `(function () {
  var gtmId = ${JSON.stringify(gtmId)};
  var match = document.cookie.match(/(?:^|; )_ga=([^;]*)/);
  var ga = match ? match[1] : "GA1.1." + Math.floor(Math.random() * 1e9) + "." + Math.floor(Date.now() / 1000);
  if (!match) document.cookie = "_ga=" + ga + "; Max-Age=" + 63072000 + "; Path=/; SameSite=Lax";
  var cid = ga.split(".").slice(2).join(".");
  var hit = "https://region1.google-analytics.com/g/collect?v=2&tid=G-DEMO&gcs=G111&gtm=" + encodeURIComponent(gtmId) +
    "&cid=" + cid + "&en=page_view&dl=" + encodeURIComponent(location.href) + "&_tr=";
  window.dataLayer = window.dataLayer || [];
  window.dataLayer.push({ event: "standin_gtm_loaded", gtm_id: gtmId, cid: cid });
  fetch(hit + "fetch", { method: "POST", mode: "no-cors", credentials: "include", keepalive: true, body: "transport=fetch" });
  navigator.sendBeacon(hit + "beacon", "transport=beacon");
  var xhr = new XMLHttpRequest();
  xhr.open("POST", hit + "xhr");
  xhr.withCredentials = true;
  xhr.send("transport=xhr");
  new Image().src = hit + "pixel";
})();
`;
}

/**
 * `loaderOrigin` (optional) serves the loader from another host of the container, e.g. its edge
 * hostname; `loaderPath` (optional) is the site's own loader path (contract section 9) instead of /l/.
 */
function demoPage(loaderToken, loaderOrigin, loaderPath) {
  const src = `${loaderOrigin}${loaderPath ?? `/l/${encodeURIComponent(loaderToken)}.js`}`;
  return `<!doctype html>
<html>
<head>
<meta charset="utf-8">
<title>Qaxal demo shop (sGTM stand-in)</title>
<script src="${src}"></script>
</head>
<body>
<h1>Demo shop</h1>
<p>Served by the sGTM stand-in through the edge. The loader is <code>${src}</code>.</p>
</body>
</html>
`;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function cookieValue(header, name) {
  const match = (header ?? "").match(new RegExp(`(?:^|;\\s*)${name}=([^;]*)`));
  return match ? match[1] : null;
}

function send(res, status, headers, body = "") {
  res.writeHead(status, headers);
  res.end(body);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The answer of a failure mode to a recorded request; false when the mode lets it through. */
async function answerFaulty(fault, req, res, hanging) {
  if (fault === "hang") {
    hanging.add(res);
    return true;
  }
  if (fault === "reset") {
    res.writeHead(200, { "content-type": "text/plain", "content-length": "64" });
    res.write("x".repeat(32), () => req.socket.resetAndDestroy());
    return true;
  }
  if (fault?.drip) {
    res.writeHead(200, { "content-type": "text/plain", "content-length": String(fault.bytes) });
    for (let sent = 0; sent < fault.bytes && !res.destroyed; sent++) {
      await sleep(fault.drip);
      res.write("x");
    }
    res.end();
    return true;
  }
  if (fault?.delay) await sleep(fault.delay);
  return false;
}

/**
 * Starts the stand-in on 127.0.0.1. `port` 0 picks a free port.
 * Returns `{ url, hits, setFault, close }`; `hits` is the live array of recorded requests.
 */
export async function startSgtmStandin({ port = 0, loaderToken = "", onHit } = {}) {
  const hits = [];
  let fault = null;
  const hanging = new Set();

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", "http://standin.invalid");
      if (url.pathname === "/__standin/hits") {
        if (req.method === "GET") return send(res, 200, { "content-type": "application/json" }, JSON.stringify(hits));
        if (req.method === "DELETE") {
          const cleared = hits.splice(0).length;
          return send(res, 200, { "content-type": "application/json" }, JSON.stringify({ cleared }));
        }
        return send(res, 405, { "content-type": "application/json" }, JSON.stringify({ error: "method_not_allowed" }));
      }

      if (url.pathname === "/healthy" && req.method === "GET") return send(res, 200, { "content-type": "text/plain" }, "ok");

      const body = await readBody(req);
      const hit = { method: req.method, path: url.pathname, query: url.search, headers: req.headers, body, at: new Date().toISOString() };
      if (onHit) onHit(hit);
      else hits.push(hit);
      if (await answerFaulty(fault, req, res, hanging)) return;

      if (COLLECT_PATHS.has(url.pathname)) {
        const fpid = cookieValue(req.headers.cookie, "FPID") ?? `FPID2.2.${randomBytes(12).toString("base64url")}`;
        return send(res, 204, {
          "set-cookie": `FPID=${fpid}; Max-Age=${FPID_MAX_AGE_S}; Path=/; HttpOnly; SameSite=Lax`,
          "cache-control": "no-store",
        });
      }
      if (url.pathname === "/gtm.js" && req.method === "GET") {
        const gtmId = url.searchParams.get("id") ?? "";
        return send(res, 200, { "content-type": "application/javascript", "cache-control": "no-store" }, gtmLikeScript(gtmId));
      }
      if (url.pathname === "/demo" && req.method === "GET") {
        const token = url.searchParams.get("token") ?? loaderToken;
        const loaderPath = url.searchParams.get("loader_path");
        if (loaderPath !== null && !/^(\/[A-Za-z0-9._-]+)+\/?$/.test(loaderPath)) {
          return send(res, 400, { "content-type": "text/plain" }, "loader_path must be a plain path like /assets/x.js\n");
        }
        if (!token && loaderPath === null) return send(res, 400, { "content-type": "text/plain" }, "demo needs ?token=<loader_token>\n");
        const loaderOrigin = url.searchParams.get("loader_origin") ?? "";
        if (loaderOrigin && !/^https?:\/\/[a-z0-9.-]+(:\d+)?$/.test(loaderOrigin)) {
          return send(res, 400, { "content-type": "text/plain" }, "loader_origin must be like http://host:port\n");
        }
        const html = demoPage(token, loaderOrigin, loaderPath ?? undefined);
        return send(res, 200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" }, html);
      }
      return send(res, 404, { "content-type": "application/json" }, JSON.stringify({ error: "not_found" }));
    } catch (error) {
      send(res, 500, { "content-type": "application/json" }, JSON.stringify({ error: "internal_error", message: String(error) }));
    }
  });

  const listen = (onPort) =>
    new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(onPort, "127.0.0.1", resolve);
    });
  const stopListening = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  await listen(port);
  const { port: boundPort } = server.address();
  return {
    url: `http://127.0.0.1:${boundPort}`,
    hits,
    /** Switches to a failure mode (see the header), or back to normal with null. */
    async setFault(next) {
      if (fault === "refuse" && next !== "refuse") await listen(boundPort);
      for (const res of hanging) res.destroy();
      hanging.clear();
      fault = next;
      if (next === "refuse") await stopListening();
    },
    close: () => (fault === "refuse" ? Promise.resolve() : stopListening()),
  };
}

function argValue(name) {
  const at = process.argv.indexOf(name);
  return at === -1 ? undefined : process.argv[at + 1];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(argValue("--port") ?? 8788);
  const standin = await startSgtmStandin({ port, loaderToken: argValue("--loader-token") ?? "" });
  console.log(`sGTM stand-in listening on ${standin.url} (hits: ${standin.url}/__standin/hits)`);
  const stop = () => standin.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
