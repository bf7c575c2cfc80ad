/**
 * POST sgtm-containers/{id}/same-origin {"site_id","path_prefix"} (owner/admin): the site's
 * own reverse proxy serves its tracking paths under path_prefix (contract section 10);
 * the site gets a forward_secret for that proxy (kept when only the prefix changes).
 * `"path_prefix": null` ends same-origin mode. Pushed before the answer (site-change.ts).
 */
import { z } from "zod";
import { HttpError } from "../../../src/shared/errors.ts";
import { pathPrefixSchema } from "./body.ts";
import { changeSites, managedLiveContainer, type SiteChangeDeps, siteKeys } from "./site-change.ts";
import { siteBody } from "./site-body.ts";

export const sameOriginBodySchema = z.strictObject({
  site_id: z.guid(),
  path_prefix: pathPrefixSchema.nullable(),
});

export async function setSameOrigin(
  deps: SiteChangeDeps,
  userId: string,
  containerId: string,
  body: z.output<typeof sameOriginBodySchema>,
) {
  await managedLiveContainer(deps.sql, userId, containerId);
  const siteId = body.site_id.toLowerCase();
  const prefix = body.path_prefix;
  if ((await siteKeys(deps.sql, containerId, [siteId])).length === 0) {
    throw new HttpError(404, { error: "not_found", message: "no such site in this container" });
  }
  const configVersion = await changeSites(deps, containerId, (tx) => tx`
    update public.sites set
      path_prefix = ${prefix}::text,
      forward_secret = case when ${prefix}::text is null then null
                            else coalesce(forward_secret, public.new_url_safe_token(32)) end
    where container_id = ${containerId} and id = ${siteId} and path_prefix is distinct from ${prefix}::text
    returning id as site_id, primary_host, endpoint_key, previous_endpoint_key, path_prefix, forward_secret`);
  const [site] = await siteKeys(deps.sql, containerId, [siteId]);
  return { container_id: containerId, config_version: configVersion, site: await siteBody(site!) };
}
