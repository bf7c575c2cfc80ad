/** The one fetch to the client's sGTM origin, with the contract's 502/504. */
import { HttpError } from "../shared/errors";

const DEFAULT_TIMEOUT_MS = 10_000;

export function originTimeoutMs(env: Env): number {
  const value = Number(env.ORIGIN_TIMEOUT_MS);
  return Number.isFinite(value) && value > 0 ? value : DEFAULT_TIMEOUT_MS;
}

export async function fetchOrigin(upstreamUrl: string, init: RequestInit, timeoutMs: number): Promise<Response> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    return await fetch(upstreamUrl, { ...init, redirect: "manual", signal });
  } catch (error) {
    if (signal.aborted) throw new HttpError(504, { error: "origin_timeout" });
    console.warn(`origin unreachable ${new URL(upstreamUrl).origin}: ${String(error)}`);
    throw new HttpError(502, { error: "origin_unreachable" });
  }
}
