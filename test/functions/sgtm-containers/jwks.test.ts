/**
 * The JWKS cache (jwks.ts), with a fake Auth server and clock: keys kept for the TTL,
 * unknown kids refetched at most once per MIN_REFETCH_MS however many or concurrent,
 * a failed fetch keeps the keys it had.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { JWKS_TTL_MS, JwksCache, MIN_REFETCH_MS } from "../../../supabase/functions/sgtm-containers/jwks.ts";

function fakeAuth(initialKids: string[]) {
  const state = { kids: initialKids, fetches: 0, failing: false, now: 1_000_000 };
  const fetch = (async () => {
    state.fetches++;
    if (state.failing) return new Response("down", { status: 503 });
    return Response.json({ keys: state.kids.map((kid) => ({ kty: "EC", crv: "P-256", x: "x", y: "y", kid })) });
  }) as typeof globalThis.fetch;
  const cache = new JwksCache("http://auth.test/auth/v1/.well-known/jwks.json", { fetch, now: () => state.now });
  return { state, cache };
}

Deno.test("unknown kids: one fetch per MIN_REFETCH_MS, however many and however concurrent", async () => {
  const { state, cache } = fakeAuth(["a"]);
  assertEquals((await cache.key("a"))?.kid, "a");
  assertEquals(state.fetches, 1);
  state.now += MIN_REFETCH_MS; // the first refetch is allowed again
  const concurrent = await Promise.all(Array.from({ length: 50 }, (_, i) => cache.key(`random-${i}`)));
  assertEquals(concurrent.every((key) => key === null), true);
  for (let i = 0; i < 50; i++) assertEquals(await cache.key(`later-${i}`), null);
  assertEquals(state.fetches, 2);
  assertEquals((await cache.key("a"))?.kid, "a");
  assertEquals(state.fetches, 2);
});

Deno.test("a rotated-in key is picked up once the throttle allows", async () => {
  const { state, cache } = fakeAuth(["a"]);
  await cache.key("a");
  state.kids = ["a", "b"];
  state.now += 1_000;
  assertEquals(await cache.key("b"), null);
  assertEquals(state.fetches, 1);
  state.now += MIN_REFETCH_MS;
  assertEquals((await cache.key("b"))?.kid, "b");
  assertEquals(state.fetches, 2);
});

Deno.test("keys expire after the TTL; a failed refetch keeps the old ones and waits to retry", async () => {
  const { state, cache } = fakeAuth(["a"]);
  await cache.key("a");
  state.now += JWKS_TTL_MS;
  state.kids = ["b"];
  assertEquals(await cache.key("a"), null, "a key dropped from the JWKS is forgotten after the TTL");
  assertEquals(state.fetches, 2);

  state.now += JWKS_TTL_MS;
  state.failing = true;
  assertEquals((await cache.key("b"))?.kid, "b");
  assertEquals(await cache.key("c"), null);
  assertEquals(state.fetches, 3);
  state.failing = false;
  state.now += MIN_REFETCH_MS;
  assertEquals((await cache.key("b"))?.kid, "b");
  assertEquals(state.fetches, 4);
});
