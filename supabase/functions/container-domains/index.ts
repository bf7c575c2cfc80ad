import { getDb } from "../_shared/db.ts";
import { dnsResolverFromEnv } from "../_shared/dns.ts";
import { domainPolicyFromEnv } from "../_shared/domain-checks.ts";
import { edgeActivationFromEnv } from "../_shared/edge-activation.ts";
import { edgeAdminFromEnv } from "../_shared/edge-admin.ts";
import { handleErrors } from "../_shared/http.ts";
import { containerDomains } from "./handler.ts";

export default {
  fetch: (request: Request) =>
    handleErrors("container-domains", () =>
      containerDomains(request, {
        sql: getDb(),
        edge: edgeAdminFromEnv,
        dns: dnsResolverFromEnv,
        activation: edgeActivationFromEnv,
        policy: domainPolicyFromEnv,
        edgeZone: () => Deno.env.get("EDGE_HOSTNAME_ZONE") ?? "trqaxal.com",
      })),
} satisfies Deno.ServeDefaultExport;
