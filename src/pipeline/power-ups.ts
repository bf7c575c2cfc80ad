/**
 * The power-ups on the request path (docs/power-ups.md). `refusedAtEdge` runs before any
 * route, on the isolate's prepared config: a blocked address or a blocked bot is answered
 * here, before admission, so it is never counted and never reaches the origin.
 * `powerUpsUpstream` shapes what the origin gets (bot flag, device and geo headers,
 * anonymized address and user agent, restored click IDs, preview header) and what the
 * browser gets back (the click-ID cookie).
 */
import { HIGH_ENTROPY_HINTS, reducedUserAgent, shouldAnonymize, truncateIp } from "../modules/anonymizer";
import { botVerdict, type CfBotSignals } from "../modules/bot-filter";
import { clickIdRestore } from "../modules/click-ids";
import type { Consent } from "../modules/consent";
import { deviceHeaders, gatewayGeoHeaders } from "../modules/device-geo";
import { compileBlockList, isBlocked, type BlockList } from "../modules/ip-block";
import { parseDevice, type Device } from "../modules/user-agent";
import type { EdgeConfig, PowerUps, Site } from "../shared/edge-config";
import { errorResponse } from "../shared/errors";
import type { NotedRequest } from "./access";

export interface CompiledPowerUps {
  settings: PowerUps;
  blockList: BlockList;
}

/** Null when the config switches none on: the request path then does no power-up work at all. */
export function compilePowerUps(config: EdgeConfig): CompiledPowerUps | null {
  const settings = config.power_ups;
  if (!settings) return null;
  const on =
    settings.bot_filter !== "off" ||
    settings.blocked_ips.length > 0 ||
    settings.anonymizer !== "off" ||
    settings.device_geo_headers ||
    settings.click_id_restore ||
    settings.preview_header !== undefined;
  return on ? { settings, blockList: compileBlockList(settings.blocked_ips) } : null;
}

/** The visitor's address: what the site's proxy vouched for (right secret), else the connecting client's. */
export function visitorIp(request: NotedRequest): string | null {
  const proxy = request.access.view?.proxy;
  return proxy?.secret === "match" ? proxy.clientIp : request.headers.get("CF-Connecting-IP");
}

/** 403 for a blocked address or, in block mode, a bot; notes the bot verdict for the access log and the origin. */
export function refusedAtEdge(request: NotedRequest): Response | null {
  const view = request.access.view;
  const powerUps = view?.prepared.powerUps;
  if (!view || !powerUps) return null;
  const { container_id: containerId, config_version: configVersion } = view.prepared.config;
  const refuse = (blocked: "ip" | "bot") => {
    Object.assign(request.access, { containerId, configVersion, siteId: view.site.site_id, blocked });
    return errorResponse(403, blocked === "ip" ? "ip_blocked" : "bot_blocked");
  };
  if (isBlocked(visitorIp(request), powerUps.blockList)) return refuse("ip");
  const { bot_filter: mode, bot_score_below: scoreBelow } = powerUps.settings;
  if (mode === "off") return null;
  // Behind the site's own proxy, Cloudflare scored the proxy, not the visitor.
  const cf = view.proxy ? null : ((request.parsed.cf as { botManagement?: CfBotSignals } | undefined)?.botManagement ?? null);
  const verdict = botVerdict(request.headers.get("User-Agent"), cf, scoreBelow);
  request.access.bot = verdict;
  return verdict.bot && mode === "block" ? refuse("bot") : null;
}

export interface UpstreamPowerUps {
  upstreamUrl: string;
  setCookies: string[];
}

/** Geo as the route computed it (before any truncation): country, region code. */
export interface VisitorGeo {
  country?: string;
  regionCode?: string;
}

/** Applies the power-ups to the origin request's headers (in place) and URL. */
export function powerUpsUpstream(
  request: NotedRequest,
  powerUps: CompiledPowerUps,
  headers: Headers,
  target: { upstreamUrl: string; site: Site; consent: () => Consent; cookieKeeper: boolean; geo: VisitorGeo },
): UpstreamPowerUps {
  const { settings } = powerUps;
  const bot = request.access.bot;
  if (settings.bot_filter === "flag" && bot) {
    headers.set("X-Bot", bot.bot ? "1" : "0");
    if (bot.score !== null) headers.set("X-Bot-Score", String(bot.score));
  }
  // Each parsed at most once, and only when a power-up needs it.
  let device: Device | null = null;
  const deviceOf = () => (device ??= parseDevice(request.headers));
  let consent: Consent | null = null;
  const consentOf = () => (consent ??= target.consent());
  if (settings.device_geo_headers) {
    for (const [name, value] of Object.entries({ ...deviceHeaders(deviceOf()), ...gatewayGeoHeaders(target.geo) })) {
      headers.set(name, value);
    }
  }
  if (shouldAnonymize(settings.anonymizer, consentOf)) {
    const truncated = truncateIp(headers.get("X-Forwarded-For"));
    if (truncated) headers.set("X-Forwarded-For", truncated);
    else headers.delete("X-Forwarded-For");
    if (headers.has("User-Agent")) headers.set("User-Agent", reducedUserAgent(deviceOf()));
    for (const hint of HIGH_ENTROPY_HINTS) headers.delete(hint);
  }
  if (settings.preview_header !== undefined && !headers.has("X-Gtm-Server-Preview")) {
    headers.set("X-Gtm-Server-Preview", settings.preview_header);
  }
  if (!settings.click_id_restore || !target.cookieKeeper) return { upstreamUrl: target.upstreamUrl, setCookies: [] };
  const clicks = clickIdRestore({
    upstreamUrl: target.upstreamUrl,
    requestCookieHeader: request.headers.get("Cookie"),
    consent: consentOf(),
    cookieDomain: target.site.cookie_domain,
  });
  return { upstreamUrl: clicks.upstreamUrl, setCookies: clicks.setCookie ? [clicks.setCookie] : [] };
}
