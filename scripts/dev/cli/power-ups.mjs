// `npm run edge -- power-ups <id> [FIELD=VALUE …]` (docs/power-ups.md): the pure parts — the
// words into the body of POST sgtm-containers/{id}/power-ups, and its answer as a table.
import { callJson } from "../platform/api.mjs";
import { table, UsageError } from "./parts.mjs";


export const POWER_UP_FIELDS = ["bot_filter", "bot_score_below", "blocked_ips", "anonymizer", "device_geo_headers", "click_id_restore", "preview_header"];

/**
 * `FIELD=VALUE` words -> the call's body. `null` switches a field off, true/false and whole
 * numbers are themselves, blocked_ips is a comma list (empty: none), anything else a string;
 * the control plane checks the values and says which is wrong.
 */
export function parsePowerUpChanges(words) {
  const changes = {};
  for (const word of words) {
    const eq = word.indexOf("=");
    const field = word.slice(0, eq);
    if (eq < 1 || !POWER_UP_FIELDS.includes(field)) {
      throw new UsageError(`${word}: expected FIELD=VALUE with FIELD one of ${POWER_UP_FIELDS.join(", ")}`);
    }
    const value = word.slice(eq + 1);
    changes[field] = value === "null" ? null
      : field === "blocked_ips" ? value.split(",").map((entry) => entry.trim()).filter(Boolean)
      : value === "true" || value === "false" ? value === "true"
      : /^[0-9]{1,3}$/.test(value) ? Number(value)
      : value;
  }
  return changes;
}

/** POST sgtm-containers/{id}/power-ups at `functionsUrl` as an owner or admin; resolves `{ status, body }`. */
export async function postPowerUps(functionsUrl, accessToken, containerId, changes) {
  const url = `${functionsUrl.replace(/\/$/, "")}/sgtm-containers/${encodeURIComponent(containerId)}/power-ups`;
  return callJson(url, { method: "POST", token: accessToken, body: changes });
}

/** The answer: what the customer set and what the edge got (only what the plan includes). */
export function describePowerUps(id, body) {
  const fields = POWER_UP_FIELDS.filter((field) => field in body.power_ups || field in body.pushed);
  if (fields.length === 0) return `${id}: no power-ups (version ${body.config_version})`;
  const show = (value) => (value === undefined ? "–" : JSON.stringify(value));
  return `${table(fields, [["power-up", (f) => f], ["set", (f) => show(body.power_ups[f])], ["at the edge", (f) => show(body.pushed[f])]])}\n` +
    `version ${body.config_version} (a power-up the plan does not include is never pushed)`;
}
