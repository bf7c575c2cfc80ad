// `npm start`'s same-origin demo (contract section 10): the single-domain demo site serves its
// own page from a real nginx (else Caddy) on a port of its own, and its tracking paths under
// /metrics go through that proxy to the local Worker, configured with exactly what
// `npm run edge -- proxy-config` prints. Without either proxy installed, it says how to install one.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { INSTALL_COMMAND, installedProxy, startSiteProxy } from "./site-proxy.mjs";

export const SAME_ORIGIN_DEMO = { host: "news.localhost", prefix: "/metrics" };

/**
 * The demo site in same-origin mode, as its owner would set it: POST sgtm-containers/{id}/same-origin
 * (a forward secret of its own, confirmed at the edge before the 200; the same prefix again changes nothing).
 */
export async function enableSameOriginDemo({ sql, clientId, functionsUrl, ownerJwt }) {
  const row = await demoSite(sql, clientId);
  if (!row) return;
  const response = await fetch(`${functionsUrl}/sgtm-containers/${row.container_id}/same-origin`, {
    method: "POST",
    headers: { authorization: `Bearer ${ownerJwt}`, "content-type": "application/json" },
    body: JSON.stringify({ site_id: row.site_id, path_prefix: SAME_ORIGIN_DEMO.prefix }),
  });
  if (response.status !== 200) {
    throw new Error(`same-origin demo: sgtm-containers/…/same-origin answered ${response.status} ${await response.text()}`);
  }
}

async function demoSite(sql, clientId) {
  const [row] = await sql`
    select s.id as site_id, c.id as container_id, c.edge_hostname
    from public.sites s join public.sgtm_containers c on c.id = s.container_id
    where c.client_id = ${clientId} and public.edge_config_live(c.status) and s.primary_host = ${SAME_ORIGIN_DEMO.host}`;
  return row;
}

/**
 * Then: the demo site behind nginx or Caddy on 127.0.0.1:`port`.
 * @returns {Promise<{ url, proxy, prefix, container_id, pid, stop() } | { skipped: string }>}
 */
export async function startSameOriginDemo({ sql, admin, clientId, edgeUrl, port, dir, onSpawn }) {
  const kind = ["nginx", "caddy"].find((candidate) => installedProxy(candidate));
  if (!kind) return { skipped: `needs nginx or Caddy; install with: ${INSTALL_COMMAND}` };
  const row = await demoSite(sql, clientId);
  if (!row) return { skipped: `no live demo site ${SAME_ORIGIN_DEMO.host}` };

  const held = await admin.get(row.container_id);
  const loader = held.body?.sites?.find((site) => site.site_id === row.site_id)?.endpoints?.loader;
  if (held.status !== 200 || !loader) throw new Error(`same-origin demo: the edge does not hold ${row.container_id}: ${held.status} ${JSON.stringify(held.body)}`);
  // An unverified hostname is not in the edge's config (section 11): the proxy could not name the site.
  const atEdge = held.body.config.sites.find((site) => site.site_id === row.site_id);
  if (atEdge.primary_host !== SAME_ORIGIN_DEMO.host) return { skipped: `${SAME_ORIGIN_DEMO.host} is not verified, so the edge does not know it yet` };
  const config = await admin.proxyConfig(row.container_id, { site_id: row.site_id, kind });
  if (config.status !== 200) throw new Error(`same-origin demo: proxy-config answered ${config.status} ${JSON.stringify(config.body)}`);

  const siteRoot = join(dir, "site");
  await mkdir(siteRoot, { recursive: true });
  await writeFile(join(siteRoot, "index.html"), demoPage(`${SAME_ORIGIN_DEMO.prefix}${loader}`, kind));
  const site = await startSiteProxy({
    kind, config: config.body, siteHost: SAME_ORIGIN_DEMO.host, edgeHostname: row.edge_hostname, edgeUrl,
    siteRoot, port, dir: join(dir, kind), onSpawn,
  });
  return { url: `${site.url}/`, proxy: kind, prefix: SAME_ORIGIN_DEMO.prefix, container_id: row.container_id, pid: site.pid, stop: site.stop };
}

function demoPage(loaderPath, kind) {
  return `<!doctype html>
<html>
<head>
<meta charset="utf-8">
<title>Qaxal demo news (same-origin mode)</title>
<script src="${loaderPath}"></script>
</head>
<body>
<h1>Demo news, same-origin</h1>
<p>This page comes from ${kind}; every tracking request goes to this page's own origin under
<code>${SAME_ORIGIN_DEMO.prefix}/</code>, which ${kind} forwards to the edge. The loader is <code>${loaderPath}</code>.</p>
</body>
</html>
`;
}
