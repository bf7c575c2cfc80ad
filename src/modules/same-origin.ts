/**
 * Same-origin mode (contract section 10): the site's own reverse proxy forwards
 * `{site host}{path_prefix}/...` to the edge. Pure helpers: the path as if the prefix were
 * not there, and the visitor's address as the proxy reports it.
 */

/** `/metrics/x?y` under `/metrics` is `/x`; `/metrics` alone is `/`; anything else is not under it. */
export function pathUnderPrefix(pathname: string, prefix: string): string | null {
  if (pathname === prefix) return "/";
  return pathname.startsWith(`${prefix}/`) ? pathname.slice(prefix.length) : null;
}

const IPV4_RE = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6_RE = /^[0-9a-f:]{2,39}$/i;

/**
 * The address the site's proxy saw: the last entry of its X-Forwarded-For (nginx's
 * `$proxy_add_x_forwarded_for` and Caddy append it; entries before it come from the visitor
 * and prove nothing). Null unless it is a plain IPv4 or IPv6 address.
 */
export function proxiedClientIp(forwardedFor: string | null): string | null {
  if (!forwardedFor || forwardedFor.length > 1024) return null;
  const last = forwardedFor.split(",").at(-1)!.trim();
  if (IPV4_RE.test(last)) return last;
  return IPV6_RE.test(last) && last.includes(":") ? last.toLowerCase() : null;
}
