// The local operator dashboard: GET / (index.html), the chart library from node_modules
// (/vendor/, nothing fetched at run time), and JSON from data.mjs:
//   GET /api/containers                 every container (overview)
//   GET /api/containers/{id}            charts, shares, quota, domains, open alerts
//   GET /api/containers/{id}/logs?…     a page of its access log (cursor, limit, status, kind, from, to)
// It calls the admin API and reads the database server-side, so neither the admin token nor
// the service role key reaches the browser; it listens on 127.0.0.1 only.
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { containerDetail, containerLogs, dashboardData } from "./data.mjs";

const PAGE = new URL("./index.html", import.meta.url);
const UPLOT_DIST = dirname(createRequire(import.meta.url).resolve("uplot"));
const VENDOR = {
  "/vendor/uPlot.iife.min.js": [join(UPLOT_DIST, "uPlot.iife.min.js"), "text/javascript; charset=utf-8"],
  "/vendor/uPlot.min.css": [join(UPLOT_DIST, "uPlot.min.css"), "text/css; charset=utf-8"],
};
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CONTAINER_PATH = /^\/api\/containers\/([^/]+)(\/logs)?$/;

/** `admin` from platform/api.mjs; `db` a supabase-js client (data.mjs readApi). */
export async function startDashboard({ port, admin, db }) {
  const page = await readFile(PAGE);
  const vendor = new Map(await Promise.all(Object.entries(VENDOR).map(async ([path, [file, type]]) => [path, [await readFile(file), type]])));
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://dashboard");
    const send = (status, type, body) => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
    };
    const json = (status, body) => send(status, "application/json", JSON.stringify(body));
    if (req.method !== "GET") return json(405, { error: "method_not_allowed" });
    if (url.pathname === "/") return send(200, "text/html; charset=utf-8", page);
    if (vendor.has(url.pathname)) return send(200, vendor.get(url.pathname)[1], vendor.get(url.pathname)[0]);
    try {
      if (url.pathname === "/api/containers") return json(200, await dashboardData({ admin, db }));
      const match = CONTAINER_PATH.exec(url.pathname);
      if (match && !UUID_RE.test(match[1])) return json(404, { error: "not_found", message: "not a container id" });
      if (match?.[2]) {
        const reply = await containerLogs({ admin, id: match[1], searchParams: url.searchParams });
        return json(reply.status, reply.body);
      }
      if (match) {
        const detail = await containerDetail({ admin, db, id: match[1] });
        return detail ? json(200, detail) : json(404, { error: "not_found", message: "no such container" });
      }
    } catch (error) {
      return json(502, { error: "dashboard_unavailable", message: error.message });
    }
    return json(404, { error: "not_found" });
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
