/** Calls from the edge to the control plane (Supabase functions), authenticated with X-Edge-Auth. */
import { parseEdgeConfig, type EdgeConfig } from "../shared/edge-config";

const FALLBACK_TIMEOUT_MS = 3_000;
const DELIVERY_TIMEOUT_MS = 10_000;

function controlPlaneUrl(env: Env, path: string): URL | null {
  if (!env.CONTROL_PLANE_URL || !env.EDGE_AUTH_SECRET) return null;
  return new URL(`${env.CONTROL_PLANE_URL.replace(/\/+$/, "")}/${path}`);
}

/** The fallback config of a cold object: a valid config of this container, or null. */
export async function fetchFallbackConfig(env: Env, containerId: string): Promise<EdgeConfig | null> {
  const url = controlPlaneUrl(env, "container-config");
  if (!url) return null;
  url.searchParams.set("container_id", containerId);
  try {
    const response = await fetch(url, {
      headers: { "X-Edge-Auth": env.EDGE_AUTH_SECRET, Accept: "application/json" },
      signal: AbortSignal.timeout(FALLBACK_TIMEOUT_MS),
    });
    if (!response.ok) {
      console.warn(`container-config fallback for ${containerId}: HTTP ${response.status}`);
      return null;
    }
    const parsed = parseEdgeConfig(await response.json());
    if (!parsed.ok || parsed.config.container_id !== containerId) {
      console.warn(`container-config fallback for ${containerId}: invalid config`);
      return null;
    }
    return parsed.config;
  } catch (error) {
    console.warn(`container-config fallback for ${containerId}: ${String(error)}`);
    return null;
  }
}

/** Delivers detection lines (JSON objects) to the `session-detections` sink; true when stored. */
export async function deliverDetections(env: Env, lines: string[]): Promise<boolean> {
  const url = controlPlaneUrl(env, "session-detections");
  if (!url) return false;
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "X-Edge-Auth": env.EDGE_AUTH_SECRET, "Content-Type": "application/json" },
      body: `{"detections":[${lines.join(",")}]}`,
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}
