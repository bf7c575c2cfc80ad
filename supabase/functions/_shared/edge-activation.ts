/**
 * Activating a verified hostname at the edge provider: Cloudflare for SaaS
 * custom hostnames (the hostname gets a certificate and is accepted by the
 * zone the Worker runs in). Created when a hostname is verified, deleted when
 * it stops routing (removed, lapsed, lost, container deleted).
 *
 *   POST   {base}/zones/{zone_id}/custom_hostnames        {"hostname","ssl":{"method":"http","type":"dv"}}
 *   GET    {base}/zones/{zone_id}/custom_hostnames/{id}
 *   DELETE {base}/zones/{zone_id}/custom_hostnames/{id}
 *
 * Env: CLOUDFLARE_API_TOKEN, CLOUDFLARE_ZONE_ID, CLOUDFLARE_API_BASE (default
 * https://api.cloudflare.com/client/v4; locally the stand-in of
 * scripts/dev/standins/cloudflare-custom-hostnames.mjs).
 */
import { HttpError } from "../../../src/shared/errors.ts";

export interface Activation {
  id: string;
  /** The provider's own state, e.g. `pending`, `active` (hostname) / its certificate's. */
  status: string;
}

export type ActivationResult = { ok: true; activation: Activation } | { ok: false; message: string };

export interface EdgeActivation {
  activate(hostname: string): Promise<ActivationResult>;
  /** Removing one that is already gone counts as done. */
  deactivate(id: string): Promise<{ ok: true } | { ok: false; message: string }>;
}

export interface CloudflareOptions {
  baseUrl: string;
  zoneId: string;
  token: string;
  fetch?: typeof fetch;
}

interface CloudflareEnvelope {
  success?: boolean;
  errors?: { code?: number; message?: string }[];
  result?: { id?: string; status?: string; ssl?: { status?: string } } | null;
}

export function cloudflareCustomHostnames(options: CloudflareOptions): EdgeActivation {
  const doFetch = options.fetch ?? fetch;
  const base = `${options.baseUrl.replace(/\/+$/, "")}/zones/${encodeURIComponent(options.zoneId)}/custom_hostnames`;
  async function call(method: string, url: string, body?: unknown): Promise<{ status: number; envelope: CloudflareEnvelope }> {
    const response = await doFetch(url, {
      method,
      headers: {
        authorization: `Bearer ${options.token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    let envelope: CloudflareEnvelope = {};
    try {
      envelope = text ? JSON.parse(text) : {};
    } catch {
      envelope = { success: false, errors: [{ message: text.slice(0, 200) }] };
    }
    return { status: response.status, envelope };
  }
  const describe = (status: number, envelope: CloudflareEnvelope) =>
    `Cloudflare answered ${status}: ${(envelope.errors ?? []).map((e) => e.message).join("; ") || "no details"}`;
  return {
    async activate(hostname) {
      try {
        const { status, envelope } = await call("POST", base, { hostname, ssl: { method: "http", type: "dv" } });
        const id = envelope.result?.id;
        if (!envelope.success || !id) return { ok: false, message: describe(status, envelope) };
        const state = [envelope.result?.status, envelope.result?.ssl?.status].filter(Boolean).join("/");
        return { ok: true, activation: { id, status: state || "pending" } };
      } catch (error) {
        return { ok: false, message: `Cloudflare unreachable: ${error instanceof Error ? error.message : error}` };
      }
    },
    async deactivate(id) {
      try {
        const { status, envelope } = await call("DELETE", `${base}/${encodeURIComponent(id)}`);
        if (envelope.success || status === 404) return { ok: true };
        return { ok: false, message: describe(status, envelope) };
      } catch (error) {
        return { ok: false, message: `Cloudflare unreachable: ${error instanceof Error ? error.message : error}` };
      }
    },
  };
}

export function edgeActivationFromEnv(): EdgeActivation {
  const token = Deno.env.get("CLOUDFLARE_API_TOKEN");
  const zoneId = Deno.env.get("CLOUDFLARE_ZONE_ID");
  if (!token || !zoneId) {
    throw new HttpError(500, {
      error: "edge_provider_not_configured",
      message: "CLOUDFLARE_API_TOKEN and CLOUDFLARE_ZONE_ID must be set",
    });
  }
  return cloudflareCustomHostnames({
    baseUrl: Deno.env.get("CLOUDFLARE_API_BASE") ?? "https://api.cloudflare.com/client/v4",
    zoneId,
    token,
  });
}
