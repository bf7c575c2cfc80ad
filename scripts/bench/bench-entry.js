// The benchmark's entry, bundled around the unchanged product: it hands the Worker its
// Durable Object and KV bindings wrapped with a simulated round trip and a call counter,
// the way production distance would. The objects themselves get the real bindings (their
// calls to each other are not on a visitor's path). Analytics Engine: Miniflare emulates
// writeDataPoint as a call into another isolate, which Cloudflare's native binding is not;
// with BENCH_AE=counter the Worker gets a counter in its place (points are counted, not
// stored), so the figure is the product's own cost. BENCH_DO_RTT_MS, BENCH_KV_MS and
// BENCH_AE are this entry's settings, not the product's; GET /__bench/calls reads (and
// ?reset=1 clears) the counts: {"CONTAINER.admit": {"<container name>": n},
// "EDGE_CACHE.get": {"": n}, "ACCESS_LOG.writeDataPoint": {"": n}, ...}.
import worker, { ContainerObject, RoutesIndex } from "../../src/worker.ts";

export { ContainerObject, RoutesIndex };

let calls = {};
const wrapped = new WeakMap();

function count(name, target) {
  const perTarget = (calls[name] ??= {});
  perTarget[target] = (perTarget[target] ?? 0) + 1;
}

function later(ms, call) {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)).then(call) : call();
}

/** A stub whose every RPC method waits `ms` before the call and is counted per object name. */
function slowStub(binding, stub, objectName, ms) {
  return new Proxy(
    {},
    {
      get(_target, prop) {
        if (typeof prop !== "string" || prop === "then") return undefined;
        if (prop === "id" || prop === "name") return stub[prop];
        return (...args) => {
          count(`${binding}.${prop}`, objectName);
          return later(ms, () => stub[prop](...args));
        };
      },
    },
  );
}

function slowNamespace(binding, namespace, ms) {
  const names = new Map();
  return {
    idFromName(name) {
      const id = namespace.idFromName(name);
      names.set(id.toString(), name);
      return id;
    },
    get(id) {
      return slowStub(binding, namespace.get(id), names.get(id.toString()) ?? id.toString(), ms);
    },
  };
}

function slowKv(kv, ms) {
  const method = (name) => (...args) => {
    count(`EDGE_CACHE.${name}`, "");
    return later(ms, () => kv[name](...args));
  };
  return { get: method("get"), put: method("put"), delete: method("delete"), getWithMetadata: method("getWithMetadata") };
}

const countedAnalytics = { writeDataPoint: () => count("ACCESS_LOG.writeDataPoint", "") };

function benchEnv(env) {
  let slow = wrapped.get(env);
  if (!slow) {
    const rtt = Number(env.BENCH_DO_RTT_MS ?? 0);
    slow = {
      ...env,
      CONTAINER: slowNamespace("CONTAINER", env.CONTAINER, rtt),
      ROUTES: slowNamespace("ROUTES", env.ROUTES, rtt),
      EDGE_CACHE: slowKv(env.EDGE_CACHE, Number(env.BENCH_KV_MS ?? 0)),
      ...(env.BENCH_AE === "counter" ? { ACCESS_LOG: countedAnalytics } : {}),
    };
    wrapped.set(env, slow);
  }
  return slow;
}

export default {
  fetch(request, env, ctx) {
    // Only the harness's own path is parsed here: the entry should cost the Worker nothing.
    if (request.url.includes("/__bench/")) {
      const url = new URL(request.url);
      if (url.pathname === "/__bench/calls") {
        const body = JSON.stringify(calls);
        if (url.searchParams.has("reset")) calls = {};
        return new Response(body, { headers: { "content-type": "application/json" } });
      }
    }
    return worker.fetch(request, benchEnv(env), ctx);
  },
};
