// HTTP clients of the two APIs operators use: the Worker's admin API (contract section 2,
// Bearer EDGE_ADMIN_TOKEN) and the control-plane functions (section 7, service role key).
// Each call resolves `{ status, body }` (body parsed as JSON when it is JSON); a network
// failure rejects with a message naming the URL.
const TIMEOUT_MS = 30_000;

/** One JSON call with a Bearer token; resolves `{ status, body }`, rejects naming the URL on a network failure. */
export async function callJson(url, { method = "GET", token, body }) {
  let response;
  try {
    response = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    throw new Error(`${method} ${url}: ${error.cause?.code ?? error.message}`);
  }
  const text = await response.text();
  let parsed = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: parsed };
}

/** Admin API of the Worker at `edgeUrl`. */
export function edgeAdmin(edgeUrl, adminToken) {
  const base = `${edgeUrl.replace(/\/$/, "")}/_edge/admin`;
  const container = (id) => `${base}/containers/${encodeURIComponent(id)}`;
  return {
    list: () => callJson(`${base}/containers`, { token: adminToken }),
    get: (id) => callJson(container(id), { token: adminToken }),
    usage: (id, from, to) => callJson(`${container(id)}/usage?from=${from}&to=${to}`, { token: adminToken }),
    pause: (id, reason) => callJson(`${container(id)}/pause`, { method: "POST", token: adminToken, body: { reason } }),
    resume: (id) => callJson(`${container(id)}/resume`, { method: "POST", token: adminToken, body: {} }),
    route: (key) => callJson(`${base}/routes/${encodeURIComponent(key)}`, { token: adminToken }),
    proxyConfig: (id, query) => callJson(`${container(id)}/proxy-config?${new URLSearchParams(query)}`, { token: adminToken }),
    traffic: (id, from, to) => callJson(`${container(id)}/traffic?${new URLSearchParams({ from, to })}`, { token: adminToken }),
    logs: (id, query = {}) => callJson(`${container(id)}/logs?${new URLSearchParams(query)}`, { token: adminToken }),
  };
}

/** Control-plane functions at `functionsUrl` (…/functions/v1), called as the service role. */
export function controlPlane(functionsUrl, serviceRoleKey) {
  const fn = (name, body = {}) =>
    callJson(`${functionsUrl.replace(/\/$/, "")}/${name}`, { method: "POST", token: serviceRoleKey, body });
  return {
    sync: (containerId) => fn("sync-edge-config", { container_id: containerId }),
    driftCheck: () => fn("nightly-drift-check"),
    billing: () => fn("billing-usage"),
    alerts: () => fn("alerts"),
    listAlerts: (status) => callJson(`${functionsUrl.replace(/\/$/, "")}/alerts?${new URLSearchParams({ status })}`, { token: serviceRoleKey }),
    testAlert: (containerId) => fn("alerts/test", { container_id: containerId }),
    rotateEndpoints: (containerId, body) => fn(`sgtm-containers/${encodeURIComponent(containerId)}/rotate-endpoints`, body),
  };
}
