/**
 * Client for the edge admin API (edge contract section 2): PUT a container's
 * config, GET its state, DELETE it. Network errors and 5xx are retried with exponential
 * backoff, a bounded number of times; 4xx answers are final.
 */
import type { EdgeConfig } from "../../../src/shared/edge-config.ts";
import { HttpError } from "../../../src/shared/errors.ts";

export interface EdgeAdminOptions {
  baseUrl: string;
  token: string;
  /** Total tries per call (first + retries). */
  attempts?: number;
  /** Delay before the first retry; doubles for each further one. */
  backoffMs?: number;
  /** Per-try timeout. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/**
 * `answered`: the edge replied with a final status (2xx or 4xx).
 * `unavailable`: no usable answer after every try (network error, timeout or 5xx).
 */
export type EdgeReply =
  | { kind: "answered"; status: number; body: unknown }
  | { kind: "unavailable"; status: number | null; body: unknown; message: string; tries: number };

export interface EdgeAdmin {
  putConfig(config: EdgeConfig): Promise<EdgeReply>;
  getContainer(containerId: string): Promise<EdgeReply>;
  /** Daily request counts, `from`/`to` as YYYY-MM-DD (UTC, inclusive). */
  getUsage(containerId: string, from: string, to: string): Promise<EdgeReply>;
  /** Requests per UTC hour by path and status class, `from`/`to` as YYYY-MM-DDTHH (inclusive). */
  getTraffic(containerId: string, from: string, to: string): Promise<EdgeReply>;
  /** A page of the raw access log, newest first (query: from, to, status, kind, limit, cursor). */
  getLogs(containerId: string, query: Record<string, string>): Promise<EdgeReply>;
  pause(containerId: string, reason: string): Promise<EdgeReply>;
  resume(containerId: string): Promise<EdgeReply>;
  /** Every host and token of the container stops routing; 404 when the edge has none. */
  deleteContainer(containerId: string): Promise<EdgeReply>;
}

export function createEdgeAdmin(options: EdgeAdminOptions): EdgeAdmin {
  const attempts = Math.max(1, options.attempts ?? 3);
  const backoffMs = options.backoffMs ?? 250;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const doFetch = options.fetch ?? fetch;
  const base = options.baseUrl.replace(/\/+$/, "");

  async function call(method: string, path: string, body?: unknown): Promise<EdgeReply> {
    let last: EdgeReply = { kind: "unavailable", status: null, body: null, message: "not tried", tries: 0 };
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) await sleep(backoffMs * 2 ** (attempt - 2));
      try {
        const response = await doFetch(`${base}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${options.token}`,
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        });
        const replyBody = await readBody(response);
        if (response.status < 500) return { kind: "answered", status: response.status, body: replyBody };
        last = { kind: "unavailable", status: response.status, body: replyBody, message: `edge answered ${response.status}`, tries: attempt };
      } catch (error) {
        last = { kind: "unavailable", status: null, body: null, message: describe(error), tries: attempt };
      }
    }
    return last;
  }

  return {
    putConfig: (config) => call("PUT", `/_edge/admin/containers/${encodeURIComponent(config.container_id)}/config`, config),
    getContainer: (id) => call("GET", `/_edge/admin/containers/${encodeURIComponent(id)}`),
    getUsage: (id, from, to) =>
      call("GET", `/_edge/admin/containers/${encodeURIComponent(id)}/usage?from=${from}&to=${to}`),
    getTraffic: (id, from, to) =>
      call("GET", `/_edge/admin/containers/${encodeURIComponent(id)}/traffic?from=${from}&to=${to}`),
    getLogs: (id, query) => call("GET", `/_edge/admin/containers/${encodeURIComponent(id)}/logs?${new URLSearchParams(query)}`),
    pause: (id, reason) => call("POST", `/_edge/admin/containers/${encodeURIComponent(id)}/pause`, { reason }),
    resume: (id) => call("POST", `/_edge/admin/containers/${encodeURIComponent(id)}/resume`, {}),
    deleteContainer: (id) => call("DELETE", `/_edge/admin/containers/${encodeURIComponent(id)}`),
  };
}

/** From env EDGE_ADMIN_URL / EDGE_ADMIN_TOKEN (+ optional EDGE_ADMIN_ATTEMPTS, EDGE_ADMIN_BACKOFF_MS). */
export function edgeAdminFromEnv(): EdgeAdmin {
  const baseUrl = Deno.env.get("EDGE_ADMIN_URL");
  const token = Deno.env.get("EDGE_ADMIN_TOKEN");
  if (!baseUrl || !token) {
    throw new HttpError(500, {
      error: "edge_admin_not_configured",
      message: "EDGE_ADMIN_URL and EDGE_ADMIN_TOKEN must be set",
    });
  }
  const attempts = Deno.env.get("EDGE_ADMIN_ATTEMPTS");
  const backoffMs = Deno.env.get("EDGE_ADMIN_BACKOFF_MS");
  return createEdgeAdmin({
    baseUrl,
    token,
    attempts: attempts ? Number(attempts) : undefined,
    backoffMs: backoffMs ? Number(backoffMs) : undefined,
  });
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return text;
  }
}

function describe(error: unknown): string {
  if (error instanceof DOMException && error.name === "TimeoutError") return "edge timed out";
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
