/**
 * Which of the origin's Set-Cookie lines may reach the browser (edge contract section 8):
 * a line whose Domain attribute is neither the site's cookie_domain nor a domain between
 * the request host and cookie_domain is dropped, so the origin can set no cookie on the
 * shared edge zone (e.g. `Domain=trqaxal.com`) and none for another site. Host-only
 * cookies (no Domain attribute) stay on the request host and pass.
 */
import { isSameOrParentDomain } from "../shared/edge-config";

export function isSiteCookieDomain(domain: string, requestHost: string, cookieDomain: string): boolean {
  if (domain === cookieDomain) return true;
  return isSameOrParentDomain(domain, requestHost) && isSameOrParentDomain(cookieDomain, domain);
}

/** The origin's lines that set cookies only within the site; the rest are dropped. */
export function siteSetCookies(lines: readonly string[], requestHost: string, cookieDomain: string): string[] {
  return lines.filter((line) =>
    domainAttributes(line).every((domain) => isSiteCookieDomain(domain, requestHost, cookieDomain)),
  );
}

/**
 * Every non-empty Domain attribute of a Set-Cookie line, as a browser reads it: leading
 * dot dropped, lower-cased (RFC 6265 5.2.3; an empty value is ignored). All of them must
 * pass, not only the last one a browser would use.
 */
export function domainAttributes(line: string): string[] {
  const domains: string[] = [];
  for (const attribute of line.split(";").slice(1)) {
    const eq = attribute.indexOf("=");
    if (eq === -1 || attribute.slice(0, eq).trim().toLowerCase() !== "domain") continue;
    const value = attribute.slice(eq + 1).trim().replace(/^\./, "").toLowerCase();
    if (value !== "") domains.push(value);
  }
  return domains;
}
