// The CLI's domain commands (contract section 11): container-domains called with a user's
// access token (owner or admin of the container's client), and the plain-text view of a domain.
import { callJson } from "../platform/api.mjs";

/** container-domains at `functionsUrl` (…/functions/v1); each call resolves `{ status, body }`. */
export function domainsApi(functionsUrl, accessToken) {
  const base = `${functionsUrl.replace(/\/$/, "")}/container-domains`;
  const call = (method, url, body) => callJson(url, { method, token: accessToken, body });
  return {
    list: (containerId) => call("GET", `${base}?container_id=${encodeURIComponent(containerId)}`),
    add: (containerId, hostname, siteId) =>
      call("POST", base, { container_id: containerId, hostname, ...(siteId ? { site_id: siteId } : {}) }),
    verify: (domainId) => call("POST", `${base}/${encodeURIComponent(domainId)}/verify`),
    remove: (domainId) => call("DELETE", `${base}/${encodeURIComponent(domainId)}`),
  };
}

/** Pure: what to do next for one domain, in lines. */
export function describeDomain(domain) {
  const lines = [`${domain.hostname}  ${domain.state}${domain.is_primary ? " (primary)" : ""}  id ${domain.id}`];
  if (domain.state !== "verified") {
    lines.push(
      `  TXT    ${domain.verification.name}  "${domain.verification.value}"`,
      `  CNAME  ${domain.routing.name}  ${domain.routing.value}`,
      ...(domain.routing_apex ? [`  or A/AAAA  ${domain.routing_apex.name}  ${domain.routing_apex.values.join(" ")}`] : []),
    );
  }
  for (const problem of domain.problems ?? []) lines.push(`  problem ${problem.code}: ${problem.message}`);
  if (domain.state === "pending" && domain.expires_at) lines.push(`  expires ${domain.expires_at} unless verified`);
  return lines.join("\n");
}
