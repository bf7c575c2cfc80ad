#!/usr/bin/env node
/**
 * STAND-IN for Cloudflare for SaaS custom hostnames (the real API is Cloudflare's,
 * outside this project). It honours the HTTP shape the control plane uses, with
 * Cloudflare's envelope `{"success","errors","messages","result"}`:
 *
 *   POST   /zones/{zone_id}/custom_hostnames {"hostname","ssl":{…}} -> 200 result {id,hostname,status,ssl:{status}}
 *                                                                   (409-style error 1406 when the hostname exists)
 *   GET    /zones/{zone_id}/custom_hostnames            -> 200 result [ … ]
 *   GET    /zones/{zone_id}/custom_hostnames/{id}       -> 200 result { … } | 404
 *   DELETE /zones/{zone_id}/custom_hostnames/{id}       -> 200 result {id} | 404
 *
 * Requests need `Authorization: Bearer <token>`. A new hostname reports
 * status `active`, ssl `active` (the real one moves there after its own
 * validation). Runs under Node and Deno (tests import `startCloudflareStandin`).
 * CLI env: CLOUDFLARE_STANDIN_PORT (default 54331), CLOUDFLARE_API_TOKEN (default local-cloudflare-token).
 */
import { Buffer } from "node:buffer";
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { readJson, respondJson } from "./json-http.mjs";

const PATH = /^\/zones\/([^/]+)\/custom_hostnames(?:\/([^/]+))?$/;

/** @param {{ port?: number, token?: string }} [options] */
export async function startCloudflareStandin(options = {}) {
  const token = options.token ?? "local-cloudflare-token";
  /** @type {Map<string, {id:string, hostname:string, zone:string, status:string, ssl:{status:string}}>} */
  const hostnames = new Map();
  const server = createServer((req, res) => {
    readJson(req).then(
      (body) => respondJson(res, ...route(hostnames, token, req, body)),
      () => respondJson(res, 400, envelope(null, [{ code: 1000, message: "invalid JSON" }])),
    );
  });
  await new Promise((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    hostnames,
    close: () => new Promise((resolve) => server.close(() => resolve(undefined))),
  };
}

function route(hostnames, token, req, body) {
  if (req.headers.authorization !== `Bearer ${token}`) return [403, envelope(null, [{ code: 10000, message: "Authentication error" }])];
  const match = PATH.exec(new URL(req.url ?? "/", "http://standin").pathname);
  if (!match) return [404, envelope(null, [{ code: 7003, message: "No route for the URI" }])];
  const [, zone, id] = match;
  if (req.method === "POST" && !id) {
    if (typeof body?.hostname !== "string" || !body.hostname) return [400, envelope(null, [{ code: 1400, message: "hostname required" }])];
    if ([...hostnames.values()].some((h) => h.zone === zone && h.hostname === body.hostname)) {
      return [409, envelope(null, [{ code: 1406, message: "Duplicate custom hostname found." }])];
    }
    const record = { id: randomUUID(), hostname: body.hostname, zone, status: "active", ssl: { status: "active" } };
    hostnames.set(record.id, record);
    return [200, envelope(publicView(record))];
  }
  if (req.method === "GET" && !id) return [200, envelope([...hostnames.values()].filter((h) => h.zone === zone).map(publicView))];
  const record = id && hostnames.get(id);
  if (!record || record.zone !== zone) return [404, envelope(null, [{ code: 1436, message: "Custom hostname not found." }])];
  if (req.method === "GET") return [200, envelope(publicView(record))];
  if (req.method === "DELETE") {
    hostnames.delete(id);
    return [200, envelope({ id })];
  }
  return [405, envelope(null, [{ code: 10405, message: "Method not allowed" }])];
}

function publicView({ id, hostname, status, ssl }) {
  return { id, hostname, status, ssl };
}

function envelope(result, errors = []) {
  return { success: errors.length === 0, errors, messages: [], result };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const standin = await startCloudflareStandin({
    port: Number(process.env.CLOUDFLARE_STANDIN_PORT ?? 54331),
    token: process.env.CLOUDFLARE_API_TOKEN ?? "local-cloudflare-token",
  });
  console.log(`Cloudflare custom hostnames stand-in listening on ${standin.url}`);
}
