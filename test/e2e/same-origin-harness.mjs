// Loopback stand-ins for what sits around a same-origin site in production, for
// test/e2e/same-origin.e2e.mjs:
//   - the visitor's network: an HTTP forward proxy Chromium goes through, connecting onwards
//     from VISITOR_IP (127.0.0.7), so the site's proxy sees a visitor address of its own,
//     not the 127.0.0.1 every local process connects from;
//   - the JavaScript platforms: the generated Cloudflare Worker and Vercel middleware run in
//     workerd (Miniflare) behind a small entry that does what the platform does around them
//     (route only {prefix}/* to them, serve the site's page otherwise; Vercel: x-real-ip and
//     geo headers), their fetches to https://{edge hostname} sent to the local Worker.
import { request as httpRequest, createServer } from "node:http";
import { join } from "node:path";
import { Miniflare, Response as MiniflareResponse } from "miniflare";

export const VISITOR_IP = "127.0.0.7";
const LOOPBACK_HOST = /^(127\.0\.0\.1|[a-z0-9-]+\.localhost)$/;
const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding"]);

/**
 * Forwards absolute-form requests to loopback hosts only, from VISITOR_IP; anything else (the
 * page's leaks are caught before, by the test's routes; Chromium's own calls home) is refused.
 */
export async function startVisitorNetwork() {
  const server = createServer((req, res) => {
    let target;
    try {
      target = new URL(req.url);
    } catch {
      target = null;
    }
    if (!target || target.protocol !== "http:" || !LOOPBACK_HOST.test(target.hostname)) {
      res.writeHead(502).end();
      return;
    }
    const headers = { ...req.headers };
    delete headers["proxy-connection"];
    const upstream = httpRequest(
      { host: "127.0.0.1", port: target.port || 80, method: req.method, path: target.pathname + target.search, headers, localAddress: VISITOR_IP },
      (response) => {
        res.writeHead(response.statusCode, response.rawHeaders);
        response.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  server.on("connect", (_req, socket) => {
    socket.end("HTTP/1.1 405 Method Not Allowed\r\n\r\n");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** What the platform runs around the generated code, per kind. */
function platformEntry(kind, prefix, page) {
  const routed = `const url = new URL(request.url);
    if (url.pathname !== ${JSON.stringify(prefix)} && !url.pathname.startsWith(${JSON.stringify(`${prefix}/`)})) {
      return new Response(${JSON.stringify(page)}, { headers: { "content-type": "text/html; charset=utf-8" } });
    }`;
  if (kind === "cloudflare-worker") {
    return `import worker from "./generated.mjs";
export default {
  fetch(request, env, ctx) {
    ${routed}
    return worker.fetch(request, env, ctx);
  },
};`;
  }
  // Vercel: the matcher decides, the platform adds x-real-ip and geo headers (city percent-encoded).
  return `import middleware, { config } from "./generated.mjs";
export default {
  fetch(request) {
    ${routed}
    if (config.matcher !== ${JSON.stringify(`${prefix}/:path*`)}) throw new Error("unexpected matcher " + config.matcher);
    const headers = new Headers(request.headers);
    headers.set("x-real-ip", request.headers.get("CF-Connecting-IP"));
    headers.set("x-vercel-ip-country", "PT");
    headers.set("x-vercel-ip-country-region", "11");
    headers.set("x-vercel-ip-city", "S%C3%A3o%20Jo%C3%A3o");
    return middleware(new Request(request, { headers }));
  },
};`;
}

/**
 * The generated `code` of `kind` (cloudflare-worker | vercel) serving `siteHost` on 127.0.0.1:`port`.
 * `outbound` records every fetch the code makes ({ url, headers }).
 */
export async function startPlatformSite({ kind, code, prefix, page, siteHost, port, edgeHostname, edgeUrl, dir }) {
  const outbound = [];
  const mf = new Miniflare({
    host: "127.0.0.1",
    port,
    compatibilityDate: "2024-11-11",
    cf: { country: "DE", region: "Berlin", city: "Berlin" },
    modulesRoot: dir,
    modules: [
      { type: "ESModule", path: join(dir, "entry.mjs"), contents: platformEntry(kind, prefix, page) },
      { type: "ESModule", path: join(dir, "generated.mjs"), contents: code },
    ],
    outboundService: (request) => {
      outbound.push({ url: request.url, headers: Object.fromEntries(request.headers) });
      return toLocalEdge(request, edgeHostname, edgeUrl);
    },
  });
  await mf.ready;
  return { url: `http://${siteHost}:${port}`, outbound, stop: () => mf.dispose() };
}

/** A fetch to https://{edgeHostname}/… answered by the local Worker at `edgeUrl` (http), Host kept. */
async function toLocalEdge(request, edgeHostname, edgeUrl) {
  const url = new URL(request.url);
  if (url.protocol !== "https:" || url.hostname !== edgeHostname) {
    return new MiniflareResponse(`only https://${edgeHostname} is reachable from here, not ${url.origin}`, { status: 502 });
  }
  const body = request.method === "GET" || request.method === "HEAD" ? null : Buffer.from(await request.arrayBuffer());
  const { hostname, port } = new URL(edgeUrl);
  const headers = Object.fromEntries(request.headers);
  return new Promise((resolve, reject) => {
    // identity: the body goes back to workerd as bytes, without a second content-encoding step here.
    const upstreamHeaders = { ...headers, host: edgeHostname, "accept-encoding": "identity" };
    const req = httpRequest({ host: hostname, port, method: request.method, path: url.pathname + url.search, headers: upstreamHeaders }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("end", () => {
        const out = new Headers();
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          if (!HOP_BY_HOP.has(res.rawHeaders[i].toLowerCase())) out.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
        }
        const status = res.statusCode;
        resolve(new MiniflareResponse(NULL_BODY_STATUS.has(status) ? null : Buffer.concat(chunks), { status, headers: out }));
      });
    });
    req.on("error", reject);
    req.end(body ?? undefined);
  });
}
