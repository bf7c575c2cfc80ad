/**
 * Which site of a container a request is for (edge contract section 3):
 * X-Public-Host when it is a host of this same container, else the site
 * owning the request host, else the first site.
 */
import type { EdgeConfig, Site } from "../shared/edge-config";

/** Dot-separated labels of 1-63 letters, digits and inner hyphens: one test, no split (it runs on every request). */
const HOSTNAME_RE = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const NUMERIC_LAST_LABEL_RE = /(?:^|\.)\d+$/;
const IPV4_RE = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const PORT_RE = /^\d{1,5}$/;

/** Lower-case hostname or IPv4 without port or trailing dot; null for anything else (IPv6 literals too). */
export function normalizeHost(raw: string | null): string | null {
  if (raw === null) return null;
  let host = raw.toLowerCase();
  if (host.startsWith("[")) return null;
  const colon = host.indexOf(":");
  if (colon !== -1) {
    const port = host.slice(colon + 1);
    if (!PORT_RE.test(port) || Number(port) > 65535) return null;
    host = host.slice(0, colon);
  }
  if (host.endsWith(".")) host = host.slice(0, -1);
  if (host === "" || host.length > 253) return null;
  if (IPV4_RE.test(host)) return host;
  // An all-numeric last label that is not a valid IPv4 (e.g. 1.2.3.999) is not a hostname either.
  return HOSTNAME_RE.test(host) && !NUMERIC_LAST_LABEL_RE.test(host) ? host : null;
}

/** The request's host (contract section 3): Host, falling back to X-Forwarded-Host only when Host is absent. */
export function requestHost(request: Request, url: URL): string | null {
  return normalizeHost(request.headers.get("Host") ?? request.headers.get("X-Forwarded-Host") ?? url.host);
}

/** The page's host for the origin (X-Forwarded-Host): X-Public-Host when it is a host of the same container, else the request host. */
export function publicHostOf(request: Request, containerHosts: ReadonlySet<string>, requestHost: string): string {
  const claimed = normalizeHost(request.headers.get("X-Public-Host"));
  return claimed && containerHosts.has(claimed) ? claimed : requestHost;
}

export function selectSite(config: EdgeConfig, requestHost: string, publicHostHeader: string | null): Site {
  const publicHost = normalizeHost(publicHostHeader);
  const viaPublicHost = publicHost === null ? undefined : siteOwning(config, publicHost);
  if (viaPublicHost) return viaPublicHost;
  const host = normalizeHost(requestHost);
  const viaHost = host === null ? undefined : siteOwning(config, host);
  // The schema guarantees at least one site.
  return viaHost ?? (config.sites[0] as Site);
}

function siteOwning(config: EdgeConfig, host: string): Site | undefined {
  return config.sites.find((site) => site.primary_host === host || site.tracked_domains.includes(host));
}
