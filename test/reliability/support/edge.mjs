// The Worker under `wrangler dev` for the reliability tests (test/e2e/worker-process.mjs starts
// it), its admin API, the containers they configure, and one request to it with its timing.
import http from "node:http";
import { startWorker } from "../../e2e/worker-process.mjs";

export const ADMIN_TOKEN = "reliability-admin-token-0123456789abcdef";
export const EDGE_AUTH_SECRET = "reliability-edge-auth-secret-0123456789";

/** `wrangler dev` with the suite's admin token; see startWorker for `persistTo`, `port`, `vars`. */
export function startEdge({ vars = {}, persistTo, port } = {}) {
  return startWorker({ adminToken: ADMIN_TOKEN, vars: { EDGE_AUTH_SECRET, ...vars }, persistTo, port });
}

const hex = (n, width) => n.toString(16).padStart(width, "0");

/**
 * Container `n`: hosts www.c<n>.rel.test (primary), data.c<n>.rel.test and c<n>.edge.rel.test.
 * Each version differs where a request sees it: the X-Origin-Auth secret the origin gets and
 * the cookie lifetime of the response (max_age_days = version), so a request mixing two
 * versions shows it.
 */
export function containerConfig(n, { origin, version = 1 }) {
  return {
    container_id: `${hex(n, 8)}-0000-4000-8000-00000000e18e`,
    client_id: "00000000-0000-4000-8000-0000000c11e7",
    config_version: version,
    origin,
    origin_secret: originSecret(n, version),
    edge_hostname: `c${n}.edge.rel.test`,
    loader_token: `lt_reliability_c${n}_0123456789abcdef`,
    modules: { sgtm_proxy: true, gtm_recovery: true, cookie_keeper: true, adblock_itp_detection: true, custom_domain: false },
    plan: { monthly_request_limit: null, auto_upgrade: false },
    cookie_keeper: { cookies: ["FPID", "_ga"], max_age_days: version, require_consent: true, restore: true },
    sites: [{
      site_id: `${hex(n, 8)}-0000-4000-8000-0000000051e0`,
      primary_host: hostOf(n),
      tracked_domains: [`data.c${n}.rel.test`],
      cookie_domain: `c${n}.rel.test`,
      container_token: `ct_reliability_c${n}_0123456789abcdef`,
      web_gtm_id: "GTM-REL123",
    }],
    custom_domains: [],
  };
}

export const hostOf = (n) => `www.c${n}.rel.test`;
export const originSecret = (n, version) => `reliability-origin-secret-c${n}-v${version}-0123456789`;
/** The version an origin secret of originSecret() names, or 0. */
export const versionOfSecret = (secret) => Number(/-v(\d+)-/.exec(secret ?? "")?.[1] ?? 0);
/** The version a response's cookie lifetime names (max_age_days = version), or 0. */
export const versionOfSetCookie = (setCookie) => Number(/Max-Age=(\d+)/i.exec([setCookie ?? []].flat().join(";"))?.[1] ?? 0) / 86_400;

/** Admin API calls; each resolves `{ status, body }`. */
export function edgeAdmin(edgeUrl) {
  const call = async (method, path, body) => {
    const response = await fetch(`${edgeUrl}/_edge/admin/${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  };
  return {
    put: (config) => call("PUT", `containers/${config.container_id}/config`, config),
    get: (id) => call("GET", `containers/${id}`),
    pause: (id, reason) => call("POST", `containers/${id}/pause`, { reason }),
    resume: (id) => call("POST", `containers/${id}/resume`, {}),
    remove: (id) => call("DELETE", `containers/${id}`),
  };
}

/**
 * One request to the edge at `edgeUrl` for `host`: `{ status, ms, body, headers, error }`.
 * `error` is the socket's error when the connection failed or the body broke off (then
 * `status` is what the headers said, if they came). The body is kept up to 4 KB.
 */
export function send(edgeUrl, { host, path, method = "GET", headers = {}, agent, timeoutMs = 30_000 }) {
  return new Promise((resolve) => {
    const started = performance.now();
    const done = (result) => resolve({ ms: Math.round(performance.now() - started), ...result });
    const request = http.request(`${edgeUrl}${path}`, { method, agent, headers: { ...headers, host }, timeout: timeoutMs }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => {
        if (body.length < 4096) body += chunk;
      });
      const result = () => ({ status: response.statusCode, headers: response.headers, body });
      response.on("end", () => done(response.complete ? result() : { ...result(), error: "body cut off" }));
      response.on("error", (error) => done({ ...result(), error: error.code ?? error.message }));
    });
    request.on("timeout", () => request.destroy(new Error("client timeout")));
    request.on("error", (error) => done({ status: 0, error: error.code ?? error.message }));
    request.end();
  });
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` every `everyMs` until it returns truthy; resolves `{ value, ms }` or throws after `timeoutMs`. */
export async function until(what, probe, { timeoutMs = 30_000, everyMs = 100 } = {}) {
  const started = Date.now();
  for (;;) {
    const value = await probe().catch(() => null);
    if (value) return { value, ms: Date.now() - started };
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(everyMs);
  }
}
