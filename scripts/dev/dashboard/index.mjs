// The local operator dashboard: GET / (index.html) and GET /api/containers (JSON from
// data.mjs). It calls the admin API server-side, so the admin token never reaches
// the browser; it listens on 127.0.0.1 only.
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { dashboardData } from "./data.mjs";

const PAGE = new URL("./index.html", import.meta.url);

export async function startDashboard({ port, admin, sql }) {
  const page = await readFile(PAGE);
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://dashboard").pathname;
    const send = (status, type, body) => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
    };
    if (req.method !== "GET") return send(405, "application/json", JSON.stringify({ error: "method_not_allowed" }));
    if (path === "/") return send(200, "text/html; charset=utf-8", page);
    if (path === "/api/containers") {
      try {
        return send(200, "application/json", JSON.stringify(await dashboardData({ admin, sql })));
      } catch (error) {
        return send(502, "application/json", JSON.stringify({ error: "dashboard_unavailable", message: error.message }));
      }
    }
    return send(404, "application/json", JSON.stringify({ error: "not_found" }));
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
