// The client's sGTM origin failing, for real (scripts/dev/standins/sgtm.mjs failure modes: its
// port closed, requests never answered, a TCP reset mid-body, a body dripping byte by byte,
// a late answer) behind `wrangler dev` with ORIGIN_TIMEOUT_MS=2000: what the client gets and
// how fast, that the object's state is intact, and that usage counts each admitted request once.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startSgtmStandin } from "../../scripts/dev/standins/sgtm.mjs";
import { containerConfig, edgeAdmin, hostOf, send, startEdge, until } from "./support/edge.mjs";
import { reportRow } from "./support/rows.mjs";
import { hitQuery, tally } from "./support/traffic.mjs";

const TIMEOUT_MS = 2_000;
/** Concurrent requests per fault. */
const PER_FAULT = 4;
/** Slack over a bound: the edge's own work and this machine's scheduling. */
const SLACK_MS = 800;

const FAULTS = [
  {
    id: "origin-refuse", fault: "refuse", what: "origin refusing connections (port closed)",
    expect: (r) => r.status === 502 && JSON.parse(r.body).error === "origin_unreachable" && r.ms < SLACK_MS,
    client: "502 origin_unreachable", bound: `< ${SLACK_MS} ms`, reaches: false,
  },
  {
    id: "origin-hang", fault: "hang", what: "origin accepting and never answering",
    expect: (r) => r.status === 504 && JSON.parse(r.body).error === "origin_timeout" && r.ms >= TIMEOUT_MS && r.ms < TIMEOUT_MS + SLACK_MS,
    client: "504 origin_timeout", bound: `at ${TIMEOUT_MS} ms (ORIGIN_TIMEOUT_MS)`, reaches: true,
  },
  {
    id: "origin-reset", fault: "reset", what: "origin resetting the connection mid-body",
    expect: (r) => r.status === 200 && r.error !== undefined && r.ms < SLACK_MS,
    client: "200 headers, then the body breaks off (the status was already sent)", bound: `< ${SLACK_MS} ms`, reaches: true,
  },
  {
    id: "origin-drip", fault: { drip: 400, bytes: 10 }, what: "origin dripping its body, 1 byte / 400 ms (4 s in all)",
    // The timeout governs the answer; a body already streaming is cut at it or, as workerd
    // sometimes lets it, arrives whole. Either way the request ends, counted once.
    expect: (r) =>
      r.status === 200 &&
      (r.error !== undefined ? r.ms >= TIMEOUT_MS && r.ms < TIMEOUT_MS + SLACK_MS : r.body === "x".repeat(10) && r.ms < 4_000 + SLACK_MS),
    client: "200 headers, then the body cut off at the timeout or delivered whole", bound: `by ${TIMEOUT_MS} ms or the body's own 4 s`, reaches: true,
  },
  {
    id: "origin-drip-within", fault: { drip: 100, bytes: 10 }, what: "origin dripping its body, 1 byte / 100 ms (1 s in all)",
    expect: (r) => r.status === 200 && r.error === undefined && r.body === "x".repeat(10),
    client: "200, whole body", bound: `< ${TIMEOUT_MS} ms`, reaches: true,
  },
  {
    id: "origin-slow", fault: { delay: 3_000 }, what: "origin answering after 3 s",
    expect: (r) => r.status === 504 && r.ms >= TIMEOUT_MS && r.ms < TIMEOUT_MS + SLACK_MS,
    client: "504 origin_timeout", bound: `at ${TIMEOUT_MS} ms`, reaches: true,
  },
  {
    id: "origin-slow-within", fault: { delay: 800 }, what: "origin answering after 800 ms",
    expect: (r) => r.status === 204 && r.ms >= 800 && r.ms < 800 + SLACK_MS,
    client: "204 (the origin's answer)", bound: `< ${TIMEOUT_MS} ms`, reaches: true,
  },
];

describe("origin faults", () => {
  const originHits = tally();
  let sgtm;
  let edge;
  let admin;
  const config = () => containerConfig(1, { origin: sgtm.url });
  let rid = 0;
  const hit = () => send(edge.url, { host: hostOf(1), path: `/g/collect?${hitQuery(++rid)}` });

  before(async () => {
    sgtm = await startSgtmStandin({ onHit: (h) => originHits.add(h.headers["x-forwarded-host"]) });
    edge = await startEdge({ vars: { ORIGIN_TIMEOUT_MS: String(TIMEOUT_MS) } });
    admin = edgeAdmin(edge.url);
    assert.equal((await admin.put(config())).status, 200);
  });
  after(async () => {
    await edge?.stop();
    await sgtm?.close();
  });

  const usage = async () => (await admin.get(config().container_id)).body.usage.month_requests;

  it("each fault: the contract's answer within its bound, state intact, every admitted request counted once", async () => {
    let sent = 0;
    assert.equal((await hit()).status, 204);
    sent++;
    for (const spec of FAULTS) {
      const usageBefore = await usage();
      const hitsBefore = originHits.get(hostOf(1));
      await sgtm.setFault(spec.fault);
      const results = await Promise.all(Array.from({ length: PER_FAULT }, hit));
      sent += PER_FAULT;
      await sgtm.setFault(null);
      const cleared = Date.now();
      const recovery = { sent: 0, reached: 0 };
      await until("a 204 after the fault", async () => {
        recovery.sent++;
        const status = (await hit()).status;
        if (status === 204) recovery.reached++;
        return status === 204;
      }, { everyMs: 20 });
      const recoveredMs = Date.now() - cleared;
      sent += recovery.sent;
      const counted = (await usage()) - usageBefore;
      const reached = originHits.get(hostOf(1)) - hitsBefore;
      const ok = results.filter(spec.expect);
      const slowest = Math.max(...results.map((r) => r.ms));
      assert.equal(ok.length, PER_FAULT, `${spec.what}: ${JSON.stringify(results)}`);
      assert.equal(reached, (spec.reaches ? PER_FAULT : 0) + recovery.reached, `requests the origin received (${spec.id})`);
      assert.equal(counted, PER_FAULT + recovery.sent, `usage counts each admitted request once (${spec.id})`);
      reportRow({
        id: spec.id,
        fault: spec.what,
        client: `${spec.client}, ${spec.bound} (slowest ${slowest} ms)`,
        served: ok.length,
        lost: 0,
        recovered: `${recoveredMs} ms (next request)`,
        detail: spec.reaches
          ? `counted ${PER_FAULT} = requests the origin received`
          : `counted ${PER_FAULT} (admitted and sent), the origin received 0`,
      });
    }
    const state = (await admin.get(config().container_id)).body;
    assert.equal(state.config_version, 1);
    assert.equal(state.paused, null);
    await until("every log line handed to the object", async () => {
      const logs = (await admin.get(config().container_id)).body.logs;
      return logs.buffered + logs.flushed === sent;
    });
  });
});
