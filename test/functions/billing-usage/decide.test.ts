/** Billing decisions, no I/O: pause, upgrade along the plan chain, resume or nothing; the month so far. */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { decide, type Decision, monthToDate, type PlanRow } from "../../../supabase/functions/billing-usage/decide.ts";

Deno.test("billing decisions (no I/O)", () => {
  const plans = new Map<string, PlanRow>([
    ["a", { id: "a", monthly_request_limit: 100, upgrade_plan_id: "b" }],
    ["b", { id: "b", monthly_request_limit: 1000, upgrade_plan_id: "c" }],
    ["c", { id: "c", monthly_request_limit: null, upgrade_plan_id: null }],
    ["loop", { id: "loop", monthly_request_limit: 10, upgrade_plan_id: "loop2" }],
    ["loop2", { id: "loop2", monthly_request_limit: 20, upgrade_plan_id: "loop" }],
    ["soft", { id: "soft", monthly_request_limit: 100, upgrade_plan_id: "b", overage_percent: 20 }],
  ]);
  const container = (status: "active" | "paused", reason: string | null, planId: string, autoUpgrade = false, sub = "active") => ({
    id: "x",
    status,
    paused_reason: reason,
    subscription: { id: "s", plan_id: planId, status: sub, auto_upgrade: autoUpgrade },
  });
  const table: [ReturnType<typeof container>, number, Decision][] = [
    [container("active", null, "a"), 99, { action: "none" }],
    [container("active", null, "a"), 100, { action: "pause" }],
    [container("paused", "usage_limit", "a"), 150, { action: "none" }],
    [container("active", null, "a", true), 150, { action: "upgrade", planId: "b" }],
    [container("active", null, "a", true), 5000, { action: "upgrade", planId: "c" }],
    [container("active", null, "loop", true), 50, { action: "pause" }],
    [container("paused", "usage_limit", "b"), 150, { action: "resume" }],
    [container("paused", "usage_limit", "b", false, "past_due"), 150, { action: "none" }],
    [container("paused", "abuse", "b"), 150, { action: "none" }],
    [container("active", null, "c"), 1e12, { action: "none" }],
    // soft quota: running on past the limit up to 20% more, paused there like the edge
    [container("active", null, "soft"), 119, { action: "none" }],
    [container("active", null, "soft"), 120, { action: "pause" }],
    [container("paused", "usage_limit", "soft"), 110, { action: "resume" }],
    [container("active", null, "soft", true), 100, { action: "upgrade", planId: "b" }],
  ];
  for (const [input, usage, expected] of table) {
    assertEquals(decide(input, plans, usage), expected, `${JSON.stringify(input.subscription)} at ${usage}`);
  }
  assertEquals(decide({ id: "x", status: "active", paused_reason: null, subscription: null }, plans, 1e9), { action: "none" });
  assertEquals(monthToDate(new Date("2026-03-01T00:00:00Z")), { from: "2026-03-01", to: "2026-03-01" });
  assertEquals(monthToDate(new Date("2026-12-31T23:59:59Z")), { from: "2026-12-01", to: "2026-12-31" });
});
