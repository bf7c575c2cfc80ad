/**
 * Proxies an admitted request to the container's origin and applies the response
 * modules (cookie keeper, CORS). Logging happens after the response, off its path.
 */
import { fetchOrigin, originTimeoutMs } from "../bindings/origin-fetch";
import type { PreserveReport } from "../bindings/protocol";
import { consentFromHit } from "../modules/consent";
import { keptSetCookies, parseCookieHeader, preservedByHit } from "../modules/cookie-keeper";
import { applyCors } from "../modules/cors";
import { toBrowserHeaders, upstreamHeaders } from "../modules/proxy-headers";
import { siteSetCookies } from "../modules/set-cookie";
import type { CookieKeeperConfig, Site } from "../shared/edge-config";
import type { EdgeRequest } from "./access";
import type { Admission } from "./admission";
import { powerUpsUpstream } from "./power-ups";

export interface ForwardTarget {
  admission: Admission;
  site: Site;
  upstreamUrl: string;
  /** The upstream URL's query, as the route has it: the hit's consent is read from it. */
  upstreamQuery: URLSearchParams;
  publicHost: string;
  recovered: boolean;
}

export async function forwardToOrigin(request: EdgeRequest, env: Env, target: ForwardTarget): Promise<Response> {
  const { admission, site, publicHost } = target;
  const { config, powerUps } = admission.prepared;
  const cf = request.parsed.cf;
  // Behind the site's own proxy (section 10), the visitor is who the proxy says, but only with its secret.
  const proxied = request.access.view?.proxy?.secret === "match" ? request.access.view.proxy : null;
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  const geo = proxied ? proxied.geo : { country: cf?.country, region: cf?.region, city: cf?.city };
  const clientIp = proxied ? proxied.clientIp : request.headers.get("CF-Connecting-IP");
  const headers = upstreamHeaders(request, publicHost, clientIp, geo, config.origin_secret);
  const shaped = powerUps
    ? powerUpsUpstream(request, powerUps, headers, {
        upstreamUrl: target.upstreamUrl,
        site,
        consent: () => consentFromHit(target.upstreamQuery),
        cookieKeeper: config.modules.cookie_keeper,
        geo: { country: geo.country, regionCode: proxied ? undefined : cf?.regionCode },
      })
    : null;
  const upstreamUrl = shaped?.upstreamUrl ?? target.upstreamUrl;
  const origin = await fetchOrigin(
    upstreamUrl,
    { method: request.method, headers, body: hasBody ? request.body : null },
    originTimeoutMs(env),
  );

  const originSetCookies = siteSetCookies(origin.headers.getSetCookie(), publicHost, site.cookie_domain);
  const { setCookies, preserve } = config.modules.cookie_keeper
    ? keepCookies(request, target.upstreamQuery, originSetCookies, site, config.cookie_keeper)
    : { setCookies: originSetCookies, preserve: undefined };
  const response = new Response(origin.body, origin);
  toBrowserHeaders(response.headers, shaped ? [...setCookies, ...shaped.setCookies] : setCookies);
  applyCors(response.headers, request.headers.get("Origin"), admission.prepared.hosts);

  Object.assign(request.access, { siteId: site.site_id, host: publicHost, recovered: target.recovered, preserve });
  return response;
}

/** The cookie keeper on a proxied response, and what the hit says about the visitor's preserved set. */
function keepCookies(
  request: Request,
  upstreamQuery: URLSearchParams,
  originSetCookies: string[],
  site: Site,
  config: CookieKeeperConfig,
): { setCookies: string[]; preserve: PreserveReport | undefined } {
  const consent = consentFromHit(upstreamQuery);
  const requestCookieHeader = request.headers.get("Cookie");
  const { setCookies, kept } = keptSetCookies({ requestCookieHeader, originSetCookies, consent, site, config });
  const fpid = kept.find((cookie) => cookie.name === "FPID")?.value ?? parseCookieHeader(requestCookieHeader).get("FPID");
  const preserved = preservedByHit(fpid, kept, consent);
  return { setCookies, preserve: preserved ? { siteId: site.site_id, ...preserved } : undefined };
}
