/**
 * Client of the infrastructure provisioner (outside this project: Caddy, DNS
 * and the sGTM container on an edge server). Its contract:
 *   POST {INFRA_PROVISIONER_URL}/provision {container_id, ports, hostnames, origin_secret}
 *     with `Authorization: Bearer {INFRA_PROVISIONER_TOKEN}` -> 200 {"origin": "<sGTM base URL>"}
 *   DELETE {INFRA_PROVISIONER_URL}/provision/{container_id} (same bearer) -> 200 (404: nothing to tear down)
 * Locally scripts/dev/standins/provisioner.mjs answers it (401 without the token).
 */
import { originSchema } from "../../../src/shared/edge-config.ts";

export const PROVISION_TIMEOUT_MS = 30_000;

export interface ProvisionRequest {
  container_id: string;
  ports: number[];
  hostnames: string[];
  /** What the edge sends as X-Origin-Auth: the origin's reverse proxy refuses requests without it. */
  origin_secret: string;
}

export type ProvisionResult = { ok: true; origin: string } | { ok: false; reason: string };

/** Where the provisioner listens and the bearer secret it requires (env INFRA_PROVISIONER_URL / _TOKEN). */
export interface Provisioner {
  url: string;
  token: string;
}

export async function provision(
  provisioner: Provisioner,
  request: ProvisionRequest,
  timeoutMs = PROVISION_TIMEOUT_MS,
): Promise<ProvisionResult> {
  const { url, token } = provisioner;
  let response: Response;
  try {
    response = await fetch(new URL("provision", url.endsWith("/") ? url : `${url}/`), {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    return { ok: false, reason: `unreachable: ${error instanceof Error ? error.message : String(error)}` };
  }
  const text = await response.text();
  if (response.status !== 200) return { ok: false, reason: `status ${response.status}: ${text.slice(0, 200)}` };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, reason: "response is not JSON" };
  }
  const origin = originSchema.safeParse((body as { origin?: unknown } | null)?.origin);
  if (!origin.success) return { ok: false, reason: "response has no valid origin" };
  return { ok: true, origin: origin.data };
}

/** Tears the container down (sGTM, Caddy, DNS); one the provisioner does not know counts as done. */
export async function deprovision(
  provisioner: { url: string; token?: string },
  containerId: string,
  timeoutMs = PROVISION_TIMEOUT_MS,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const { url, token } = provisioner;
  try {
    const response = await fetch(new URL(`provision/${encodeURIComponent(containerId)}`, url.endsWith("/") ? url : `${url}/`), {
      method: "DELETE",
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    if (response.status === 200 || response.status === 404) return { ok: true };
    return { ok: false, reason: `status ${response.status}: ${text.slice(0, 200)}` };
  } catch (error) {
    return { ok: false, reason: `unreachable: ${error instanceof Error ? error.message : String(error)}` };
  }
}
