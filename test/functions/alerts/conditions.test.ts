/** The alert conditions and message parts without I/O: thresholds on both sides, transitions, signatures. */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  DEFAULT_POLICY as P,
  errorShareFinding,
  quotaFindings,
  scopeKey,
  trafficDropFinding,
  transitions,
  utcHour,
} from "../../../supabase/functions/alerts/conditions.ts";
import { backoffMs, signBody } from "../../../supabase/functions/alerts/message.ts";
import { webhookUrlProblem } from "../../../supabase/functions/alerts/targets.ts";

const kinds = (findings: { kind: string }[]) => findings.map((f) => f.kind);

Deno.test("quota: 80% and 100% of the limit, a pause for the limit counts as both, unlimited never", () => {
  const q = (monthRequests: number, pausedForLimit = false, limit: number | null = 1000) =>
    kinds(quotaFindings({ containerId: "c", limit, monthRequests, pausedForLimit }));
  assertEquals(q(799), []);
  assertEquals(q(800), ["quota_80"]);
  assertEquals(q(1000), ["quota_80", "quota_100"]);
  assertEquals(q(10, true), ["quota_80", "quota_100"]);
  assertEquals(q(10 ** 9, false, null), []);
});

Deno.test("5xx share: above the threshold with enough requests; too few requests cannot be judged", () => {
  const statuses = (errors: number, total: number) => Array.from({ length: total }, (_, i) => (i < errors ? 502 : 200));
  assertEquals(errorShareFinding("c", statuses(1, 20), P), { evaluated: true, finding: null });
  assertEquals(errorShareFinding("c", statuses(2, 20), P).finding?.details.share, 0.1);
  assertEquals(errorShareFinding("c", statuses(19, 19), P), { evaluated: false, finding: null });
  assertEquals(errorShareFinding("c", [...statuses(0, 30), 404, 404, 404], P).finding, null, "4xx are not origin errors");
});

Deno.test("traffic drop: the last 3 complete hours against the same hours of the 7 days before", () => {
  const now = Date.parse("2026-12-01T10:30:00Z");
  const hour = (back: number) => utcHour(Date.parse("2026-12-01T10:00:00Z") - back * 3_600_000);
  const perHour = new Map<string, number>();
  for (let day = 1; day <= 7; day++) for (const h of [1, 2, 3]) perHour.set(hour(h + day * 24), 100);
  for (const h of [1, 2, 3]) perHour.set(hour(h), 100);
  assertEquals(trafficDropFinding("c", perHour, now, P), null);
  for (const h of [1, 2, 3]) perHour.set(hour(h), 30);
  perHour.set("2026-12-01T10", 10_000); // the running hour does not count
  assertEquals(trafficDropFinding("c", perHour, now, P), null, "90 of 300 is the 30% line itself");
  for (const h of [1, 2, 3]) perHour.set(hour(h), 20);
  assertEquals(trafficDropFinding("c", perHour, now, P)?.details.recent_requests, 60);
  assertEquals(trafficDropFinding("c", new Map([["2026-11-30T08", 50]]), now, P), null, "a quiet site cannot drop");
  assertEquals(utcHour(now), "2026-12-01T10");
});

Deno.test("transitions: open once, resolve only what this run could judge", () => {
  const open = [
    { id: "a1", containerId: "c", kind: "origin_down" as const, subject: "" },
    { id: "a2", containerId: "c", kind: "traffic_drop" as const, subject: "" },
  ];
  const finding = { containerId: "c", kind: "quota_80" as const, subject: "", details: {} };
  const changes = transitions(open, [finding], new Set([scopeKey("c", "origin_down"), scopeKey("c", "quota_80")]));
  assertEquals(changes.opened, [finding]);
  assertEquals(changes.resolved.map((a) => a.id), ["a1"], "traffic_drop was not evaluated: stays open");
  const again = transitions([{ id: "a3", ...finding }], [finding], new Set([scopeKey("c", "quota_80")]));
  assertEquals([again.opened.length, again.seen.length, again.resolved.length], [0, 1, 0]);
});

Deno.test("webhook signature: HMAC-SHA256 of the body (the well-known quick-brown-fox value)", async () => {
  assertEquals(
    await signBody("key", "The quick brown fox jumps over the lazy dog"),
    "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8",
  );
  assertEquals([backoffMs(1, 1000), backoffMs(3, 1000), backoffMs(30, 1000)], [1000, 4000, 3_600_000]);
});

Deno.test("webhook URLs: https to a public name; loopback, private, credentials refused unless local", () => {
  assertEquals(webhookUrlProblem("https://hooks.slack.com/services/T/B/X", false), null);
  for (const url of ["http://hooks.example.com/", "https://localhost/", "https://192.168.1.2/", "https://[::1]/", "https://169.254.169.254/", "not a url"]) {
    assertEquals(typeof webhookUrlProblem(url, false), "string", url);
  }
  assertEquals(webhookUrlProblem("http://127.0.0.1:8080/hook", true), null);
});
