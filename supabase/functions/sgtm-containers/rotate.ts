/**
 * POST sgtm-containers/{id}/rotate-endpoints {"site_id"?, "finish"?} (owner/admin, or the
 * service role): new endpoint keys for the container's sites (one site with site_id).
 * Starting keeps each old key as previous_endpoint_key, so the edge serves the old paths
 * too while pages still carry the old snippet; finishing drops the old keys. Both are
 * pushed before the answer (site-change.ts); nightly-drift-check finishes rotations older
 * than ROTATION_GRACE_DAYS by itself.
 */
import { z } from "zod";
import { HttpError } from "../../../src/shared/errors.ts";
import { changeSites, managedLiveContainer, type SiteChangeDeps, siteKeys } from "./site-change.ts";
import { siteBody } from "./site-body.ts";

export const rotateBodySchema = z.strictObject({
  site_id: z.guid().optional(),
  finish: z.boolean().optional(),
});

export async function rotateEndpoints(
  deps: SiteChangeDeps,
  caller: string | null,
  containerId: string,
  body: z.output<typeof rotateBodySchema>,
) {
  await managedLiveContainer(deps.sql, caller, containerId);
  const siteIds = body.site_id ? [body.site_id.toLowerCase()] : null;
  const targets = await siteKeys(deps.sql, containerId, siteIds);
  if (targets.length === 0) throw new HttpError(404, { error: "not_found", message: "no such site in this container" });
  const ids = targets.map((site) => site.site_id);
  if (!body.finish) {
    const rotating = targets.find((site) => site.previous_endpoint_key !== null);
    if (rotating) {
      throw new HttpError(409, {
        error: "rotation_in_progress",
        message: "finish the running rotation first ({\"finish\": true})",
        site_id: rotating.site_id,
      });
    }
  }
  const configVersion = await changeSites(deps, containerId, (tx) =>
    body.finish
      ? tx`
          update public.sites set previous_endpoint_key = null, endpoint_rotated_at = null
          where container_id = ${containerId} and id = any(${ids}::uuid[]) and previous_endpoint_key is not null
          returning id as site_id, primary_host, endpoint_key, previous_endpoint_key, path_prefix, forward_secret`
      : tx`
          update public.sites
          set previous_endpoint_key = endpoint_key, endpoint_key = public.new_url_safe_token(24), endpoint_rotated_at = now()
          where container_id = ${containerId} and id = any(${ids}::uuid[]) and previous_endpoint_key is null
          returning id as site_id, primary_host, endpoint_key, previous_endpoint_key, path_prefix, forward_secret`
  );
  const sites = await siteKeys(deps.sql, containerId, ids);
  return { container_id: containerId, config_version: configVersion, sites: await Promise.all(sites.map(siteBody)) };
}
