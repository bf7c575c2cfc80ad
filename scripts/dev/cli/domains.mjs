// The CLI's domain commands (contract section 11): container-domains called with a user's
// access token (owner or admin of the container's client), and the plain-text view of a domain.
const TIMEOUT_MS = 30_000;

/** container-domains at `functionsUrl` (…/functions/v1); each call resolves `{ status, body }`. */
export function domainsApi(functionsUrl, accessToken) {
  const base = `${functionsUrl.replace(/\/$/, "")}/container-domains`;
  const call = async (method, url, body) => {
    let response;
    try {
      response = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${accessToken}`, ...(body ? { "content-type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw new Error(`${method} ${url}: ${error.cause?.code ?? error.message}`);
    }
    const text = await response.text();
    let parsed = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed };
  };
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
