/** Generated identifiers of a new container: valid EdgeConfig values that do not repeat. */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { hostnameSchema, urlSafeTokenSchema } from "../../../src/shared/edge-config.ts";
import { newContainerToken, newEdgeHostname, newLoaderToken } from "../../../supabase/functions/sgtm-containers/tokens.ts";

Deno.test("generated identifiers are valid EdgeConfig values and do not repeat", () => {
  const loaders = new Set(Array.from({ length: 200 }, newLoaderToken));
  const sites = new Set(Array.from({ length: 200 }, newContainerToken));
  const hosts = new Set(Array.from({ length: 200 }, () => newEdgeHostname("trqaxal.com")));
  assertEquals([loaders.size, sites.size, hosts.size], [200, 200, 200]);
  for (const token of [...loaders, ...sites]) ok(urlSafeTokenSchema.safeParse(token).success, token);
  for (const host of hosts) ok(hostnameSchema.safeParse(host).success && /^[a-z2-7]{16}\.trqaxal\.com$/.test(host), host);
});
