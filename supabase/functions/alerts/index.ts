import { getDb } from "../_shared/db.ts";
import { edgeAdminFromEnv } from "../_shared/edge-admin.ts";
import { handleErrors } from "../_shared/http.ts";
import { type AlertPolicy, DEFAULT_POLICY } from "./conditions.ts";
import { probeHealthy } from "./evaluate.ts";
import { alerts } from "./handler.ts";
import { sendersFromEnv } from "./senders.ts";

/** A number from env, or the default when unset; a value that is not a number is a startup error. */
function numberFromEnv(name: string, fallback: number): number {
  const text = Deno.env.get(name);
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got ${text}`);
  return value;
}

function policyFromEnv(): AlertPolicy {
  return {
    ...DEFAULT_POLICY,
    originFailures: numberFromEnv("ALERT_ORIGIN_FAILURES", DEFAULT_POLICY.originFailures),
    errorShare: numberFromEnv("ALERT_ERROR_SHARE", DEFAULT_POLICY.errorShare),
    trafficDropRatio: numberFromEnv("ALERT_TRAFFIC_DROP_RATIO", DEFAULT_POLICY.trafficDropRatio),
  };
}

export default {
  fetch: (request: Request) =>
    handleErrors("alerts", () =>
      alerts(request, {
        sql: getDb(),
        edge: edgeAdminFromEnv,
        senders: sendersFromEnv,
        probe: probeHealthy,
        policy: policyFromEnv(),
        delivery: {
          retryBaseMs: numberFromEnv("ALERT_RETRY_BASE_MS", 60_000),
          maxAttempts: numberFromEnv("ALERT_MAX_ATTEMPTS", 8),
        },
        allowHttpWebhooks: Deno.env.get("ALERT_WEBHOOK_ALLOW_HTTP") === "true",
      })),
} satisfies Deno.ServeDefaultExport;
