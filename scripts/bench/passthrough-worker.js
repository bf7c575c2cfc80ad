// The floor of the benchmark: a plain pass-through Worker on the same runtime, no routing,
// no object, no modules. It answers /_edge/health so the same harness can wait for it.
export default {
  fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/_edge/health") return new Response("ok");
    return fetch(env.ORIGIN + url.pathname + url.search, request);
  },
};
