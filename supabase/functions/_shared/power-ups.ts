/**
 * Power-ups and the plan (docs/power-ups.md): each power-up is one entitlement key of the
 * plan, as modules are; a container gets a power-up pushed only when it switched it on
 * AND its plan includes it. Used by the EdgeConfig builder and by
 * POST sgtm-containers/{id}/power-ups.
 */
import { powerUpsSchema } from "../../../src/shared/edge-config.ts";

/** Each settable field of EdgeConfig power_ups, and the entitlement that gates it. */
export const POWER_UP_ENTITLEMENT: Readonly<Record<string, string>> = {
  bot_filter: "bot_filter",
  bot_score_below: "bot_filter",
  blocked_ips: "blocked_ips",
  anonymizer: "anonymizer",
  device_geo_headers: "device_geo_headers",
  click_id_restore: "click_id_restore",
  preview_header: "preview_header",
};

/** A field's value that leaves its power-up off (what the schema's default is, or absent). */
export function isOff(field: string, value: unknown): boolean {
  if (value === undefined || value === null) return true;
  const fieldSchema = powerUpsSchema.shape[field as keyof typeof powerUpsSchema.shape];
  if (field === "bot_score_below" || !fieldSchema) return false;
  const parsedDefault = fieldSchema.safeParse(undefined);
  return parsedDefault.success && JSON.stringify(parsedDefault.data) === JSON.stringify(value);
}

/** The `power_ups` section to push: only fields the plan includes; none left (or all off), no section. */
export function entitledPowerUps(
  stored: Record<string, unknown> | null,
  entitlements: Record<string, unknown>,
): { power_ups?: Record<string, unknown> } {
  if (!stored) return {};
  const entitled = Object.fromEntries(
    Object.entries(stored).filter(([field]) => entitlements[POWER_UP_ENTITLEMENT[field] ?? ""] === true),
  );
  const anyOn = Object.entries(entitled).some(([field, value]) => field !== "bot_score_below" && !isOff(field, value));
  return anyOn ? { power_ups: entitled } : {};
}
