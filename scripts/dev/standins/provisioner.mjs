#!/usr/bin/env node
/**
 * STAND-IN for the infrastructure provisioner. The real provisioner (Caddy,
 * DNS, the sGTM Docker container on an edge server) is OUTSIDE this project's
 * scope; this stand-in only honours its HTTP contract so the control plane can
 * be run and tested locally:
 *
 *   POST /provision {container_id, ports, hostnames, origin_secret} -> 200 {"origin": "<sGTM origin>"}
 *   DELETE /provision/{container_id}                   -> 200 {"deleted":true} (404 when never provisioned)
 *   POST /__standin/fail {"fail": true|false}          -> switch failure mode (503 on /provision)
 *   GET  /__standin/calls                               -> the /provision bodies received (and `deleted` ids)
 *
 * Every call needs `Authorization: Bearer <token>` (the functions' INFRA_PROVISIONER_TOKEN):
 * 401 {"error":"unauthorized"} otherwise, and the body is not even read.
 *
 * Runs under Node (`node scripts/dev/standins/provisioner.mjs`) and Deno (tests
 * import `startProvisionerStandin`). Env for the CLI: PROVISIONER_PORT (default
 * 54330), PROVISIONER_ORIGIN (default http://127.0.0.1:9100, the local sGTM
 * origin), PROVISIONER_TOKEN (default: a random one, printed), PROVISIONER_FAIL=1 to start failing.
 */
import { Buffer } from "node:buffer";
import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { readJson, respondJson } from "./json-http.mjs";

/**
 * @param {{ port?: number, origin?: string, failing?: boolean, token?: string }} [options] token: default random
 * @returns {Promise<{ url: string, token: string, calls: object[], deleted: string[], setFailing(fail: boolean): void, close(): Promise<void> }>}
 */
export async function startProvisionerStandin(options = {}) {
  const token = options.token ?? `prv_${randomBytes(24).toString("base64url")}`;
  const state = { failing: options.failing ?? false, origin: options.origin ?? "http://127.0.0.1:9100", calls: [], deleted: [] };
  const server = createServer((req, res) => {
    if (!hasBearer(req.headers.authorization, token)) {
      req.resume();
      return respondJson(res, 401, { error: "unauthorized", message: "missing or wrong provisioner token" });
    }
    readJson(req).then(
      (body) => respondJson(res, ...route(state, req.method, req.url, body)),
      () => respondJson(res, 400, { error: "invalid_json" }),
    );
  });
  await new Promise((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    calls: state.calls,
    /** Container ids torn down by DELETE /provision/{id}, in order. */
    deleted: state.deleted,
    setFailing(fail) {
      state.failing = fail;
    },
    close: () => new Promise((resolve) => server.close(() => resolve(undefined))),
  };
}

/** @returns {[number, object]} */
function route(state, method, url, body) {
  const path = new URL(url ?? "/", "http://standin").pathname;
  if (method === "POST" && path === "/provision") {
    if (!isProvisionRequest(body)) return [400, { error: "invalid_body" }];
    state.calls.push(body);
    if (state.failing) return [503, { error: "standin_failing", message: "failure mode is on" }];
    return [200, { origin: state.origin }];
  }
  const teardown = /^\/provision\/([^/]+)$/.exec(path);
  if (method === "DELETE" && teardown) {
    const id = decodeURIComponent(teardown[1]);
    if (state.failing) return [503, { error: "standin_failing", message: "failure mode is on" }];
    if (!state.calls.some((call) => call.container_id === id) || state.deleted.includes(id)) return [404, { error: "not_found" }];
    state.deleted.push(id);
    return [200, { deleted: true }];
  }
  if (method === "POST" && path === "/__standin/fail") {
    state.failing = body?.fail !== false;
    return [200, { failing: state.failing }];
  }
  if (method === "GET" && path === "/__standin/calls") return [200, { calls: state.calls, deleted: state.deleted }];
  return [404, { error: "not_found" }];
}

/** Constant-time: `Authorization` is exactly `Bearer <expected>`. */
function hasBearer(header, expected) {
  const presented = Buffer.from(/^Bearer (\S+)$/.exec(header ?? "")?.[1] ?? "");
  const wanted = Buffer.from(expected);
  return presented.length === wanted.length && timingSafeEqual(presented, wanted);
}

function isProvisionRequest(body) {
  return (
    typeof body?.container_id === "string" &&
    Array.isArray(body.ports) && body.ports.every(Number.isInteger) &&
    Array.isArray(body.hostnames) && body.hostnames.every((h) => typeof h === "string") &&
    typeof body.origin_secret === "string" && /^[A-Za-z0-9_-]{32,256}$/.test(body.origin_secret)
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const standin = await startProvisionerStandin({
    port: Number(process.env.PROVISIONER_PORT ?? 54330),
    origin: process.env.PROVISIONER_ORIGIN ?? "http://127.0.0.1:9100",
    failing: process.env.PROVISIONER_FAIL === "1",
    token: process.env.PROVISIONER_TOKEN || undefined,
  });
  console.log(`provisioner stand-in listening on ${standin.url}`);
  if (!process.env.PROVISIONER_TOKEN) console.log(`token (INFRA_PROVISIONER_TOKEN): ${standin.token}`);
}
