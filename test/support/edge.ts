/** Calls into the Worker under test, the way the control plane and browsers do. */
import { exports } from "cloudflare:workers";
import { ADMIN_TOKEN } from "./config";

export function edgeFetch(url: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(new Request(url, init));
}

export function admin(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  headers.set("Authorization", `Bearer ${ADMIN_TOKEN}`);
  if (json !== undefined) headers.set("Content-Type", "application/json");
  return edgeFetch(`https://admin.edge.test/_edge/admin/${path}`, {
    ...rest,
    headers,
    body: json === undefined ? rest.body : JSON.stringify(json),
  });
}

export async function pushConfig(config: { container_id: string; [field: string]: unknown }): Promise<Response> {
  return admin(`containers/${config.container_id}/config`, { method: "PUT", json: config });
}

/** The container's month_requests as the admin API reports it. */
export async function usageOf(containerId: string): Promise<number> {
  const body = await (await admin(`containers/${containerId}`)).json<{ usage: { month_requests: number } }>();
  return body.usage.month_requests;
}
