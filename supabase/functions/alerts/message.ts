/**
 * What a delivery says, no I/O: one payload per (alert, event), stored with the delivery
 * so every retry sends the same bytes. Webhooks get it as Slack-compatible JSON (`text`
 * is what Slack shows; the other fields are for machines), email as subject + text.
 */
import type { AlertKind } from "./conditions.ts";

export type AlertEvent = "opened" | "resolved" | "test";

export interface AlertPayload {
  /** The delivery's own id: stable across retries, what a receiver deduplicates on. */
  id: string;
  event: AlertEvent;
  alert_id: string | null;
  kind: AlertKind | "test";
  subject: string;
  container_id: string;
  container_name: string;
  client_id: string;
  first_seen_at: string | null;
  resolved_at: string | null;
  details: Record<string, unknown>;
  /** Slack's message text. */
  text: string;
}

const TITLES: Record<AlertKind | "test", string> = {
  quota_80: "80% of the month's request quota used",
  quota_100: "month's request quota used up: paused",
  origin_down: "sGTM origin down (/healthy failing)",
  origin_errors: "sGTM origin error rate high (5xx)",
  traffic_drop: "traffic far below the last 7 days",
  domain_unverified: "domain lapsed or failed verification",
  config_drift: "edge config drift the nightly repair could not fix",
  test: "test alert",
};

export function alertTitle(kind: AlertKind | "test"): string {
  return TITLES[kind];
}

/** One line of the numbers behind the alert, e.g. "month_requests 812, monthly_limit 1000". */
export function describeDetails(details: Record<string, unknown>): string {
  return Object.entries(details)
    .filter(([, value]) => value !== null && value !== undefined && typeof value !== "object")
    .map(([name, value]) => `${name} ${value}`)
    .join(", ");
}

export function alertText(p: Pick<AlertPayload, "event" | "kind" | "subject" | "container_name" | "container_id" | "details">): string {
  const state = p.event === "opened" ? "ALERT" : p.event === "resolved" ? "RESOLVED" : "TEST";
  const about = p.subject ? ` (${p.subject})` : "";
  const numbers = describeDetails(p.details);
  return `[${state}] ${p.container_name}: ${alertTitle(p.kind)}${about}${numbers ? ` - ${numbers}` : ""} [container ${p.container_id}]`;
}

export function emailSubject(p: AlertPayload): string {
  const state = p.event === "opened" ? "Alert" : p.event === "resolved" ? "Resolved" : "Test";
  return `[Qaxal] ${state}: ${p.container_name}: ${alertTitle(p.kind)}`;
}

export function emailText(p: AlertPayload): string {
  return [
    p.text,
    "",
    `event:      ${p.event}`,
    `kind:       ${p.kind}${p.subject ? ` (${p.subject})` : ""}`,
    `container:  ${p.container_name} (${p.container_id})`,
    ...(p.first_seen_at ? [`first seen: ${p.first_seen_at}`] : []),
    ...(p.resolved_at ? [`resolved:   ${p.resolved_at}`] : []),
    `details:    ${JSON.stringify(p.details)}`,
    `delivery:   ${p.id}`,
  ].join("\n");
}

/** `sha256=` + hex HMAC-SHA256 of the exact body bytes with the target's secret. */
export async function signBody(secret: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body)));
  return `sha256=${Array.from(mac, (byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}

/** Retry delay after `attempts` failed tries: base, doubling, at most an hour. */
export function backoffMs(attempts: number, baseMs: number): number {
  return Math.min(3_600_000, baseMs * 2 ** Math.max(0, attempts - 1));
}
