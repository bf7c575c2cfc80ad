// Demo data of the local platform, idempotent (every `npm start` runs it):
//   - SQL: a local `auth.users` (what GoTrue owns on hosted Supabase) with the demo owner and
//     their email, the demo client, the owner's membership, a pool of sGTM ports;
//     the plans come from the schema migration.
//   - through the real `sgtm-containers` function, with a JWT of the demo owner: one
//     single-domain and one multi-domain container (validation, provisioning via the
//     stand-in, subscription on DEFAULT_PLAN_ID and the first edge sync all as in production).
// A container already there (by client and name, live) is kept, not created again.

export const DEMO_CLIENT_ID = "de300000-0000-4000-8000-00000000c1e7";
export const DEMO_OWNER_ID = "de300000-0000-4000-8000-0000000000e1";
export const DEMO_OWNER_EMAIL = "owner@demo.localhost";
const PORT_POOL = { first: 20000, count: 200 };
// sGTM CONTAINER_CONFIG is opaque to the platform; the stand-in provisioner ignores it.
const DEMO_CONTAINER_CONFIG_B64 = Buffer.from("qaxal-local-demo").toString("base64");

export const DEMO_CONTAINERS = [
  { name: "Demo news (single domain)", domains: ["news.localhost"], webGtmIds: { "news.localhost": "GTM-DEMONEWS" } },
  {
    name: "Demo shop + blog (multi-domain)",
    domains: ["shop.localhost", "blog.localhost"],
    webGtmIds: { "shop.localhost": "GTM-DEMOSHOP", "blog.localhost": "GTM-DEMOBLOG" },
  },
];

/** The rows every later step relies on. `sql` is a postgres.js client. */
export async function seedDatabase(sql) {
  await sql.unsafe(`
    create table if not exists auth.users (
      id uuid primary key,
      email text unique,
      created_at timestamptz not null default now())`);
  await sql`insert into auth.users (id, email) values (${DEMO_OWNER_ID}, ${DEMO_OWNER_EMAIL}) on conflict (id) do nothing`;
  await sql`insert into public.clients (id, name) values (${DEMO_CLIENT_ID}, 'Demo client') on conflict (id) do nothing`;
  await sql`
    insert into public.client_memberships (client_id, user_id, role) values (${DEMO_CLIENT_ID}, ${DEMO_OWNER_ID}, 'owner')
    on conflict (client_id, user_id) do nothing`;
  await sql`
    insert into public.port_pool (port)
    select generate_series(${PORT_POOL.first}::int, ${PORT_POOL.first + PORT_POOL.count - 1}::int)
    on conflict (port) do nothing`;
}

/**
 * Creates the demo containers that are missing through POST sgtm-containers.
 * @returns {Promise<{ created: string[], kept: string[] }>} container ids
 */
export async function seedContainers(sql, { functionsUrl, ownerJwt }) {
  const created = [];
  const kept = [];
  for (const demo of DEMO_CONTAINERS) {
    const [existing] = await sql`
      select id from public.sgtm_containers
      where client_id = ${DEMO_CLIENT_ID} and name = ${demo.name} and public.edge_config_live(status)`;
    if (existing) {
      kept.push(existing.id);
      continue;
    }
    const response = await fetch(`${functionsUrl}/sgtm-containers`, {
      method: "POST",
      headers: { authorization: `Bearer ${ownerJwt}`, "content-type": "application/json" },
      body: JSON.stringify({
        clientId: DEMO_CLIENT_ID,
        name: demo.name,
        domains: demo.domains,
        webGtmIds: demo.webGtmIds,
        containerConfigB64: DEMO_CONTAINER_CONFIG_B64,
      }),
    });
    const body = await response.json().catch(() => null);
    if (response.status !== 201) {
      throw new Error(`sgtm-containers refused the demo container "${demo.name}": ${response.status} ${JSON.stringify(body)}`);
    }
    created.push(body.container.id);
  }
  return { created, kept };
}

/** The demo containers as local.json lists them: ids, tokens and the hosts of each site. */
export async function demoContainers(sql) {
  const rows = await sql`
    select c.id, c.name, c.loader_token, c.edge_hostname, c.config_version,
           coalesce(json_agg(json_build_object('site_id', s.id, 'host', s.primary_host, 'container_token', s.container_token)
                    order by s.created_at) filter (where s.id is not null), '[]') as sites
    from public.sgtm_containers c left join public.sites s on s.container_id = c.id
    where c.client_id = ${DEMO_CLIENT_ID} and public.edge_config_live(c.status)
    group by c.id order by c.created_at`;
  return rows.map((row) => ({ ...row, sites: typeof row.sites === "string" ? JSON.parse(row.sites) : row.sites }));
}

/**
 * Locally every container's sGTM is the one stand-in; when it listens elsewhere than when the
 * containers were provisioned (random ports), point them at it (the config_version trigger
 * then queues a sync). Returns how many changed.
 */
export async function repointOrigins(sql, sgtmUrl) {
  const changed = await sql`
    update public.sgtm_containers set origin = ${sgtmUrl}
    where public.edge_config_live(status) and origin is distinct from ${sgtmUrl}
    returning id`;
  return changed.length;
}
