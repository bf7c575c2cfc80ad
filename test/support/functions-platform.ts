/**
 * The processes the user-facing functions talk to, started for one test: the
 * local functions server (functions + JWKS, with a signing key made for the
 * run), the fake edge and the provisioner stand-in. Env is pointed at them.
 */
import { startFunctionsServer } from "../../scripts/dev/platform/functions-server.ts";
import { generateSigningKey, type LocalSigningKey, mintUserJwt } from "../../scripts/dev/platform/local-auth.ts";
import { startCloudflareStandin } from "../../scripts/dev/standins/cloudflare-custom-hostnames.mjs";
import { startProvisionerStandin } from "../../scripts/dev/standins/provisioner.mjs";
import type { Sql } from "../../supabase/functions/_shared/db.ts";
import { randomLabel } from "./control-plane-db.ts";
import { type FakeEdge, startFakeEdge } from "./fake-edge.ts";
import { type LocalDns, startLocalDns } from "./local-dns.ts";

export const EDGE_ZONE = "trqaxal.test";
export const SGTM_ORIGIN = "http://127.0.0.1:9100";

export interface Platform {
  key: LocalSigningKey;
  edge: FakeEdge;
  provisioner: Awaited<ReturnType<typeof startProvisionerStandin>>;
  /** The real local DNS server the functions query (DNS_RESOLVER). */
  dns: LocalDns;
  cloudflare: Awaited<ReturnType<typeof startCloudflareStandin>>;
  /** Calls a function through the local gateway, as a browser or cron would. */
  call(name: string, init?: RequestInit & { token?: string }): Promise<Response>;
  tokenFor(userId: string): Promise<string>;
  close(): Promise<void>;
}

export async function startPlatform(): Promise<Platform> {
  const key = await generateSigningKey();
  const edge = startFakeEdge();
  const provisioner = await startProvisionerStandin({ origin: SGTM_ORIGIN });
  const dns = await startLocalDns();
  const cloudflare = await startCloudflareStandin();
  const server = await startFunctionsServer({ signingKey: key });
  const env: Record<string, string> = {
    SUPABASE_URL: server.url,
    SUPABASE_ANON_KEY: "local-anon-key",
    EDGE_ADMIN_URL: edge.url,
    EDGE_ADMIN_TOKEN: edge.token,
    EDGE_ADMIN_ATTEMPTS: "2",
    INFRA_PROVISIONER_URL: provisioner.url,
    INFRA_PROVISIONER_TOKEN: provisioner.token,
    EDGE_HOSTNAME_ZONE: EDGE_ZONE,
    DNS_RESOLVER: dns.address,
    CLOUDFLARE_API_BASE: cloudflare.url,
    CLOUDFLARE_API_TOKEN: cloudflare.token,
    CLOUDFLARE_ZONE_ID: "local-zone",
  };
  for (const [name, value] of Object.entries(env)) Deno.env.set(name, value);
  return {
    key,
    edge,
    provisioner,
    dns,
    cloudflare,
    call(name, init = {}) {
      const headers = new Headers(init.headers);
      if (init.token) headers.set("authorization", `Bearer ${init.token}`);
      return fetch(`${server.url}/functions/v1/${name}`, { ...init, headers });
    },
    tokenFor: (userId) => mintUserJwt(userId, `${userId.slice(0, 8)}@users.test`, { key }),
    async close() {
      await server.close();
      await edge.close();
      await provisioner.close();
      await cloudflare.close();
      await dns.close();
    },
  };
}

/** Adds `count` free ports to the pool (ports no other row uses) and returns them. */
export async function addFreePorts(sql: Sql, count: number): Promise<number[]> {
  const rows = await sql<{ port: number }[]>`
    insert into public.port_pool (port)
    select p from generate_series(20000, 65000) p
    where not exists (select 1 from public.port_pool pp where pp.port = p)
    order by p limit ${count}
    returning port`;
  return rows.map((row) => row.port);
}

/** Takes every free port out of the pool (the pool is shared by the test files). */
export async function drainFreePorts(sql: Sql): Promise<void> {
  await sql`delete from public.port_pool where container_id is null`;
}

export async function addMember(sql: Sql, clientId: string, role: "owner" | "admin" | "member"): Promise<string> {
  const userId = crypto.randomUUID();
  await sql`insert into public.client_memberships (client_id, user_id, role) values (${clientId}, ${userId}, ${role})`;
  return userId;
}

export async function newClient(sql: Sql): Promise<{ clientId: string; ownerId: string }> {
  const [client] = await sql<{ id: string }[]>`
    insert into public.clients (name) values (${`client ${crypto.randomUUID().slice(0, 8)}`}) returning id`;
  return { clientId: client!.id, ownerId: await addMember(sql, client!.id, "owner") };
}

/**
 * A new client whose owner created one container through POST sgtm-containers, on one fresh
 * host (free ports added first); fails unless the create answered 201.
 */
export async function ownerWithContainer(platform: Platform, sql: Sql, name: string) {
  const { clientId, ownerId } = await newClient(sql);
  const owner = await platform.tokenFor(ownerId);
  const host = `www.${randomLabel()}.com`;
  await addFreePorts(sql, 2);
  const created = await platform.call("sgtm-containers", {
    method: "POST",
    token: owner,
    headers: { "content-type": "application/json" },
    body: containerBody(clientId, name, host),
  });
  if (created.status !== 201) throw new Error(`container create: ${created.status} ${await created.text()}`);
  const { container } = await created.json();
  return { clientId, ownerId, owner, host, container };
}

/** The body of POST sgtm-containers for one container on one host, with the test's GTM id and sGTM config. */
export function containerBody(clientId: string, name: string, host: string): string {
  return JSON.stringify({ clientId, name, domains: [host], webGtmIds: { [host]: "GTM-ABC123" }, containerConfigB64: btoa("id=GTM-ABC123&env=1&auth=secret") });
}
