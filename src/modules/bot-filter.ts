/**
 * Bot filter (docs/power-ups.md): a request is a bot when its user agent is on isbot's
 * maintained list, or Cloudflare's bot management says so (a verified bot, or a score below
 * the container's threshold). Cloudflare's signals describe the connecting client: they are
 * read only when that client is the visitor, never behind the site's own reverse proxy.
 */
import { isbot } from "isbot";

export type BotMode = "off" | "flag" | "block";

/** What Cloudflare puts on `request.cf.botManagement` (present on plans with bot management). */
export interface CfBotSignals {
  score?: unknown;
  verifiedBot?: unknown;
  verifiedBotCategory?: unknown;
}

export interface BotVerdict {
  bot: boolean;
  /** Cloudflare's scale, 1 (automated) to 99 (human): its own score when it gave one, 1 for a listed user agent. */
  score: number | null;
  reason: "user_agent" | "verified_bot" | "score" | null;
}

export function botVerdict(userAgent: string | null, cf: CfBotSignals | null | undefined, scoreBelow: number): BotVerdict {
  const score = cfScore(cf?.score);
  if (userAgent && isbot(userAgent)) return { bot: true, score: score ?? 1, reason: "user_agent" };
  if (cf?.verifiedBot === true || (typeof cf?.verifiedBotCategory === "string" && cf.verifiedBotCategory !== "")) {
    return { bot: true, score: score ?? 1, reason: "verified_bot" };
  }
  if (score !== null && score < scoreBelow) return { bot: true, score, reason: "score" };
  return { bot: false, score, reason: null };
}

/** 1-99 only: Cloudflare reports 0 when it did not score the request. */
function cfScore(value: unknown): number | null {
  return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 99 ? value : null;
}
