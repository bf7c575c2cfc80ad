// Demo domains through the real verification flow (contract section 11): npm start
// runs its own authoritative DNS server on loopback (scripts/dev/dns/server.mjs)
// unless DNS_RESOLVER names one, and a Cloudflare custom-hostnames stand-in. Each
// pending demo hostname gets its TXT challenge and CNAME written into the local
// zone, then POST container-domains/{id}/verify: pending -> verified -> routed.
import { startDnsServer } from "../dns/server.mjs";
import { startCloudflareStandin } from "../standins/cloudflare-custom-hostnames.mjs";

/** The DNS server the functions ask, and the provider stand-in; `dns.local` is null when DNS_RESOLVER was given. */
export async function startDomainServices() {
  const given = process.env.DNS_RESOLVER;
  const local = given ? null : await startDnsServer();
  const cloudflare = await startCloudflareStandin();
  return {
    resolver: given ?? local.dns,
    local,
    cloudflare,
    env: {
      DNS_RESOLVER: given ?? local.dns,
      CLOUDFLARE_API_BASE: cloudflare.url,
      CLOUDFLARE_API_TOKEN: cloudflare.token,
      CLOUDFLARE_ZONE_ID: "local-zone",
    },
    async close() {
      await cloudflare.close();
      await local?.close();
    },
  };
}

/** Verifies every pending hostname of the demo containers; returns [hostname, state before, state after]. */
export async function verifyDemoDomains({ functionsUrl, ownerJwt, containerIds, local }) {
  const headers = { authorization: `Bearer ${ownerJwt}` };
  const results = [];
  for (const containerId of containerIds) {
    const listed = await fetch(`${functionsUrl}/container-domains?container_id=${containerId}`, { headers });
    if (!listed.ok) throw new Error(`container-domains refused the demo container ${containerId}: ${listed.status}`);
    for (const domain of (await listed.json()).domains) {
      if (domain.state !== "pending") {
        results.push([domain.hostname, domain.state, domain.state]);
        continue;
      }
      if (local) {
        local.records.push(
          { name: domain.verification.name, type: "TXT", value: domain.verification.value },
          { name: domain.hostname, type: "CNAME", value: domain.routing.value },
        );
      }
      const verified = await fetch(`${functionsUrl}/container-domains/${domain.id}/verify`, { method: "POST", headers });
      const body = await verified.json();
      results.push([domain.hostname, "pending", body.domain?.state ?? `error ${verified.status}: ${body.error}`]);
    }
  }
  return results;
}
