// The CLI's per-site endpoint commands (contract section 9): the exact script tag of each site,
// from what the edge holds (sites[i].endpoints.loader of the admin API).

/**
 * Pure: one `{ site_id, host, tag }` per site of `inspection` (GET /_edge/admin/containers/{id}),
 * or only the site that has `host`. A same-origin site's tag is under its path_prefix.
 */
export function snippetsOf(inspection, host = null) {
  const loaders = new Map((inspection.sites ?? []).map((site) => [site.site_id, site.endpoints.loader]));
  const sites = inspection.config.sites.filter(
    (site) => host === null || site.primary_host === host || site.tracked_domains.includes(host),
  );
  if (sites.length === 0) {
    const hosts = inspection.config.sites.flatMap((site) => [site.primary_host, ...site.tracked_domains]);
    throw new Error(`no site of ${inspection.container_id} has the host ${host} (its hosts: ${hosts.join(", ")})`);
  }
  return sites.map((site) => {
    const shownHost = host ?? site.primary_host;
    const path = `${site.path_prefix ?? ""}${loaders.get(site.site_id)}`;
    return { site_id: site.site_id, host: shownHost, tag: `<script async src="https://${shownHost}${path}"></script>` };
  });
}
