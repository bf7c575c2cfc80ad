// The control plane failing for real under a `wrangler dev` edge: the functions' process group
// killed (SIGKILL), a real PostgreSQL stopped and started under them, and the functions killed
// while a push is between the database commit and the edge. Known containers keep serving; a
// container the edge has no config of answers 500 config_unavailable and never reaches its
// origin; everything recovers by itself: the edge's fallback, the functions' pool, the outbox
// timer, the drift check.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import postgres from "postgres";
import { migrate } from "../../scripts/dev/platform/db.mjs";
import { freePort, isAlive } from "../../scripts/dev/platform/processes.mjs";
import { startSgtmStandin } from "../../scripts/dev/standins/sgtm.mjs";
import { callFunction, dbVersion, OUTBOX_INTERVAL_MS, seedContainer, startAdminHop, startFunctions } from "./support/control-plane.mjs";
import { edgeAdmin, send, startEdge, until } from "./support/edge.mjs";
import { startPostgres } from "./support/postgres.mjs";
import { reportRow } from "./support/rows.mjs";
import { tally } from "./support/traffic.mjs";

/** A cold object retries its fallback at most this often (src/objects/ContainerObject.ts FALLBACK_RETRY_MS). */
const FALLBACK_RETRY_MS = 5_000;
const root = new URL("../..", import.meta.url).pathname;

/** Routes `host` to `containerId` in the KV of the state in `persistTo` (before the Worker starts on it). */
function routeInKv(persistTo, host, containerId) {
  execFileSync(process.execPath, [
    join(root, "node_modules/wrangler/bin/wrangler.js"), "kv", "key", "put", "--binding", "EDGE_CACHE", "--local",
    "--persist-to", persistTo, `route:host:${host}`, JSON.stringify({ key: `host:${host}`, container_id: containerId }),
  ], { cwd: root, stdio: "pipe", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
}

describe("control plane faults", () => {
  const originHits = tally();
  let pg;
  let sql;
  let sgtm;
  let edge;
  let admin;
  let hop;
  let functions;
  let functionsPort;
  let dir;
  let known;
  let cold;
  const startControlPlane = async () => {
    functions = await startFunctions({ port: functionsPort, databaseUrl: pg.url, edgeAdminUrl: hop.url, keyPath: join(dir, "signing-key.json") });
  };
  const hits = (host, n) => Promise.all(Array.from({ length: n }, (_, i) => send(edge.url, { host, path: `/g/collect?v=2&i=${i}` })));
  const edgeVersion = async (id) => (await admin.get(id)).body?.config_version ?? null;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "qaxal-reliability-cp-"));
    pg = await startPostgres();
    await migrate(pg.url);
    sql = postgres(pg.url, { max: 2, prepare: false, onnotice: () => {} });
    sgtm = await startSgtmStandin({ onHit: (hit) => originHits.add(hit.headers["x-forwarded-host"]) });
    known = await seedContainer(sql, 1, sgtm.url);
    // Pushed once and lost at the edge since (a new location, a lost object): nothing queued,
    // KV still routes its host.
    cold = await seedContainer(sql, 2, sgtm.url);
    await sql`update public.edge_sync_outbox set status = 'skipped' where container_id = ${cold.id} and status = 'pending'`;
    const persistTo = join(dir, "wrangler");
    routeInKv(persistTo, cold.host, cold.id);
    functionsPort = await freePort();
    edge = await startEdge({ persistTo, vars: { CONTROL_PLANE_URL: `http://127.0.0.1:${functionsPort}/functions/v1` } });
    admin = edgeAdmin(edge.url);
    hop = await startAdminHop(edge.url);
    await startControlPlane();
    await until("the outbox pushed the known container", async () => (await edgeVersion(known.id)) === (await dbVersion(sql, known.id)), { timeoutMs: OUTBOX_INTERVAL_MS * 3 });
  });
  after(async () => {
    await functions?.stop();
    await hop?.close();
    await edge?.stop();
    await sql?.end({ timeout: 2 });
    await pg?.close();
    await sgtm?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("control plane down: known containers serve, one with no config anywhere is 500 config_unavailable, the edge recovers by itself", async () => {
    await functions.kill();
    const served = await hits(known.host, 20);
    assert.deepEqual(served.map((r) => r.status), Array(20).fill(204));
    const refused = await hits(cold.host, 5);
    for (const r of refused) assert.deepEqual([r.status, JSON.parse(r.body)], [500, { error: "config_unavailable" }]);
    const coldHitsWhileDown = originHits.get(cold.host);
    assert.equal(coldHitsWhileDown, 0, "never a blind proxy");
    await startControlPlane();
    const upAt = Date.now();
    const recovered = await until("the cold container served once the control plane is back", async () => (await send(edge.url, { host: cold.host, path: "/g/collect?v=2" })).status === 204, { timeoutMs: FALLBACK_RETRY_MS * 3, everyMs: 250 });
    const recoveredMs = Date.now() - upAt;
    assert.ok(recoveredMs <= FALLBACK_RETRY_MS + 1_000, `recovered in ${recoveredMs} ms`);
    assert.equal(await edgeVersion(cold.id), await dbVersion(sql, cold.id));
    reportRow({
      id: "control-plane-down",
      fault: "control plane down (the functions' process group killed)",
      client: "known container: 204 from the origin; container with no config anywhere: 500 config_unavailable",
      served: served.length,
      lost: 0,
      recovered: `${recoveredMs} ms after the control plane was back (fallback retried at most every ${FALLBACK_RETRY_MS / 1000} s)`,
      detail: `${refused.length} requests of the unconfigured container answered 500, its origin received ${coldHitsWhileDown} of them; then served at the database's v${await dbVersion(sql, cold.id)}`,
    });
    assert.ok(recovered.value);
  });

  it("Postgres restarted under the functions: 503 with a clear body while it is down, recovered without a restart", async () => {
    const query = `?container_id=${known.id}`;
    assert.equal((await callFunction(functions.url, "container-config", { method: "GET", asEdge: true, query })).status, 200);
    await pg.stop();
    const down = [
      await callFunction(functions.url, "container-config", { method: "GET", asEdge: true, query }),
      await callFunction(functions.url, "sync-edge-config", { body: { container_id: known.id } }),
      await callFunction(functions.url, "nightly-drift-check"),
    ];
    const served = await hits(known.host, 10);
    await pg.start();
    const upAt = Date.now();
    await until("container-config answers again", async () =>
      (await callFunction(functions.url, "container-config", { method: "GET", asEdge: true, query })).status === 200, { everyMs: 100 });
    const recoveredMs = Date.now() - upAt;
    for (const answer of down) {
      assert.equal(answer.status, 503, JSON.stringify(answer.body));
      assert.equal(answer.body.error, "database_unavailable");
      assert.match(answer.body.message, /database/);
    }
    assert.deepEqual(served.map((r) => r.status), Array(10).fill(204));
    assert.ok(isAlive(functions.pid), "the same functions process, never restarted");
    reportRow({
      id: "postgres-restart",
      fault: "PostgreSQL stopped (fast shutdown) and started again under the running functions",
      client: `functions: 503 {"error":"database_unavailable"} while it is down; edge: 204 (it never needs the database)`,
      served: served.length,
      lost: 0,
      recovered: `${recoveredMs} ms after Postgres was back, same functions process`,
      detail: `container-config, sync-edge-config and nightly-drift-check each answered ${down.map((a) => a.status).join("/")} while down`,
    });
  });

  it("the functions killed between the database commit and the edge push: the outbox repairs it within its interval", async () => {
    const run = async (holding, gtmId) => {
      const held = hop.hold(holding);
      await sql`update public.sites set web_gtm_id = ${gtmId} where container_id = ${known.id}`;
      const version = await dbVersion(sql, known.id);
      await held;
      await functions.kill();
      const atEdge = await edgeVersion(known.id);
      const [pending] = await sql`select count(*)::int as n from public.edge_sync_outbox where container_id = ${known.id} and status = 'pending'`;
      await startControlPlane();
      const upAt = Date.now();
      await until("the edge and the database agree", async () => {
        const [state] = await sql`select synced_version from public.edge_sync_state where container_id = ${known.id}`;
        return (await edgeVersion(known.id)) === version && state?.synced_version === version;
      }, { timeoutMs: OUTBOX_INTERVAL_MS * 3 });
      return { version, atEdge, pending: pending.n, repairedMs: Date.now() - upAt };
    };
    // Before the edge: the push never arrived. After it: the edge applied it, the functions died before recording it.
    const before = await run("request", "GTM-REL124");
    assert.equal(before.atEdge, before.version - 1);
    assert.equal(before.pending, 1);
    const afterEdge = await run("response", "GTM-REL125");
    assert.equal(afterEdge.atEdge, afterEdge.version);
    assert.equal(afterEdge.pending, 1);
    const [{ n: stillPending }] = await sql`select count(*)::int as n from public.edge_sync_outbox where container_id = ${known.id} and status = 'pending'`;
    assert.equal(stillPending, 0);
    for (const r of [before, afterEdge]) assert.ok(r.repairedMs <= OUTBOX_INTERVAL_MS + 3_000, `repaired in ${r.repairedMs} ms`);
    const served = await hits(known.host, 5);
    assert.deepEqual(served.map((r) => r.status), Array(5).fill(204));
    reportRow({
      id: "killed-mid-push",
      fault: "the functions SIGKILLed with a committed change on its way to the edge (before the PUT reached it; after the edge applied it)",
      client: "204 throughout (the edge serves the version it has)",
      served: served.length,
      lost: 0,
      recovered: `${before.repairedMs} ms / ${afterEdge.repairedMs} ms after the functions restarted (outbox every ${OUTBOX_INTERVAL_MS / 1000} s)`,
      detail: `the outbox row stayed pending both times; the edge then held v${afterEdge.version} = the database, edge_sync_state synced`,
    });
  });

  it("the drift check repairs an edge that lost a container", async () => {
    assert.equal((await admin.remove(known.id)).status, 200);
    const lost = await send(edge.url, { host: known.host, path: "/g/collect?v=2" });
    assert.equal(lost.status, 404);
    const check = await callFunction(functions.url, "nightly-drift-check");
    assert.equal(check.status, 200, JSON.stringify(check.body));
    assert.ok(check.body.repaired.includes(known.id));
    const back = await hits(known.host, 5);
    assert.deepEqual(back.map((r) => r.status), Array(5).fill(204));
    assert.equal(await edgeVersion(known.id), await dbVersion(sql, known.id));
    reportRow({
      id: "drift-repair",
      fault: "the edge lost a container the database says is live and synced (nothing queued)",
      client: "404 until repaired, then 204",
      served: back.length,
      lost: 0,
      recovered: "one nightly-drift-check run",
      detail: `drift check: ${check.body.checked} checked, repaired ${check.body.repaired.length}; edge at the database's v${await dbVersion(sql, known.id)}`,
    });
  });
});
