/**
 * User-token verification (auth.ts: supabase-js getClaims with keys from our throttled
 * JWKS cache) against the local JWKS (served by the functions server), with a signing key
 * made for this run; issuer and audience checked; unknown kids cannot make us fetch per token.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { authenticatedUserId } from "../../../supabase/functions/sgtm-containers/auth.ts";
import { startFunctionsServer } from "../../../scripts/dev/platform/functions-server.ts";
import { generateSigningKey, jwksOf, loadOrCreateSigningKey, mintUserJwt } from "../../../scripts/dev/platform/local-auth.ts";

const USER = "11111111-2222-4333-8444-555555555555";

function withBearer(token: string | null): Request {
  return new Request("http://functions.test/x", token ? { headers: { authorization: `Bearer ${token}` } } : {});
}

function b64url(text: string): string {
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

Deno.test("user tokens are verified against the JWKS", async (t) => {
  const key = await generateSigningKey();
  const server = await startFunctionsServer({ signingKey: key });
  Deno.env.set("SUPABASE_URL", server.url);
  Deno.env.set("SUPABASE_ANON_KEY", "local-anon-key");
  try {
    await t.step("a valid token yields its sub", async () => {
      assertEquals(await authenticatedUserId(withBearer(await mintUserJwt(USER, "u@x.test", { key }))), USER);
    });

    await t.step("the JWKS is published where getClaims looks", async () => {
      const jwks = await (await fetch(`${server.url}/auth/v1/.well-known/jwks.json`)).json();
      assertEquals(jwks.keys.map((k: { kid: string }) => k.kid), [key.kid]);
      assertEquals(Object.hasOwn(jwks.keys[0], "d"), false);
    });

    await t.step("missing, malformed and non-JSON tokens are refused", async () => {
      assertEquals(await authenticatedUserId(withBearer(null)), null);
      assertEquals(await authenticatedUserId(withBearer("not-a-jwt")), null);
      assertEquals(await authenticatedUserId(withBearer(`${b64url("{")}.${b64url("{")}.abc`)), null);
    });

    await t.step("an expired token is refused", async () => {
      assertEquals(await authenticatedUserId(withBearer(await mintUserJwt(USER, "u@x.test", { key, ttlSeconds: -5 }))), null);
    });

    await t.step("a tampered payload fails the signature check", async () => {
      const [header, , signature] = (await mintUserJwt(USER, "u@x.test", { key })).split(".");
      const forged = b64url(JSON.stringify({ sub: "99999999-2222-4333-8444-555555555555", role: "authenticated", exp: 4e9 }));
      assertEquals(await authenticatedUserId(withBearer(`${header}.${forged}.${signature}`)), null);
    });

    await t.step("a token from a key the JWKS does not publish is refused", async () => {
      const stranger = await generateSigningKey();
      assertEquals(await authenticatedUserId(withBearer(await mintUserJwt(USER, "u@x.test", { key: stranger }))), null);
    });

    await t.step("a stranger key reusing the published kid is refused", async () => {
      const impostor = { ...(await generateSigningKey()), kid: key.kid };
      assertEquals(await authenticatedUserId(withBearer(await mintUserJwt(USER, "u@x.test", { key: impostor }))), null);
    });

    await t.step("a validly signed token from another issuer is refused", async () => {
      for (const issuer of ["https://other-project.supabase.co/auth/v1", `${server.url}/auth/v2`, server.url]) {
        assertEquals(await authenticatedUserId(withBearer(await mintUserJwt(USER, "u@x.test", { key, issuer }))), null, issuer);
      }
    });

    await t.step("a validly signed token for another audience is refused; a list naming ours passes", async () => {
      for (const audience of ["service_role", "", "authenticated-not"]) {
        assertEquals(await authenticatedUserId(withBearer(await mintUserJwt(USER, "u@x.test", { key, audience }))), null, audience);
      }
      const listed = await mintUserJwt(USER, "u@x.test", { key, audience: ["other", "authenticated"] });
      assertEquals(await authenticatedUserId(withBearer(listed)), USER);
    });

    await t.step("issuer and audience come from SUPABASE_JWT_ISSUER / SUPABASE_JWT_AUDIENCE when set", async () => {
      Deno.env.set("SUPABASE_JWT_ISSUER", "https://auth.example.test/auth/v1");
      Deno.env.set("SUPABASE_JWT_AUDIENCE", "qaxal");
      try {
        const custom = await mintUserJwt(USER, "u@x.test", { key, audience: "qaxal" });
        assertEquals(await authenticatedUserId(withBearer(custom)), USER);
        const defaults = await mintUserJwt(USER, "u@x.test", { key, issuer: `${server.url}/auth/v1` });
        assertEquals(await authenticatedUserId(withBearer(defaults)), null);
      } finally {
        Deno.env.delete("SUPABASE_JWT_ISSUER");
        Deno.env.delete("SUPABASE_JWT_AUDIENCE");
      }
      assertEquals(await authenticatedUserId(withBearer(await mintUserJwt(USER, "u@x.test", { key }))), USER);
    });

    await t.step("a validly signed non-user token (anon role) is refused", async () => {
      assertEquals(await authenticatedUserId(withBearer(await mintUserJwt(USER, "u@x.test", { key, role: "anon" }))), null);
    });

    await t.step("an HS256 token is checked with the Auth server, which locally does not exist", async () => {
      const token = `${b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${
        b64url(JSON.stringify({ sub: USER, role: "authenticated", exp: 4e9 }))
      }.${b64url("sig")}`;
      assertEquals(await authenticatedUserId(withBearer(token)), null);
    });
  } finally {
    await server.close();
  }
});

Deno.test("a flood of tokens with unknown kids costs at most one JWKS fetch and no Auth server call", async () => {
  const key = await generateSigningKey();
  const requests: string[] = [];
  const auth = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, (request) => {
    const path = new URL(request.url).pathname;
    requests.push(path);
    if (path === "/auth/v1/.well-known/jwks.json") return Response.json(jwksOf(key));
    return Response.json({ code: 401, msg: "invalid JWT" }, { status: 401 });
  });
  Deno.env.set("SUPABASE_URL", `http://127.0.0.1:${auth.addr.port}`);
  Deno.env.set("SUPABASE_ANON_KEY", "local-anon-key");
  try {
    assertEquals(await authenticatedUserId(withBearer(await mintUserJwt(USER, "u@x.test", { key }))), USER);
    assertEquals(requests, ["/auth/v1/.well-known/jwks.json"]);
    const strangers = await Promise.all(Array.from({ length: 40 }, async () => {
      const stranger = await generateSigningKey();
      return mintUserJwt(USER, "u@x.test", { key: stranger });
    }));
    const verdicts = await Promise.all(strangers.slice(0, 20).map((token) => authenticatedUserId(withBearer(token))));
    for (const token of strangers.slice(20)) verdicts.push(await authenticatedUserId(withBearer(token)));
    assertEquals(verdicts.every((v) => v === null), true);
    assertEquals(requests.length <= 2, true, JSON.stringify(requests));
    assertEquals(requests.filter((path) => path !== "/auth/v1/.well-known/jwks.json"), []);
    // the known key still verifies, from the cache
    assertEquals(await authenticatedUserId(withBearer(await mintUserJwt(USER, "u@x.test", { key }))), USER);
    assertEquals(requests.length <= 2, true, JSON.stringify(requests));
  } finally {
    await auth.shutdown();
  }
});

Deno.test("the local key is created once and kept, also when processes race to create it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/nested/key.json`;
    const raced = await Promise.all([loadOrCreateSigningKey(path), loadOrCreateSigningKey(path)]);
    const again = await loadOrCreateSigningKey(path);
    assertEquals(new Set([...raced, again].map((key) => key.kid)).size, 1);
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
    const token = await mintUserJwt(USER, "u@x.test", { key: raced[0] });
    const [, payload] = token.split(".");
    assertEquals(JSON.parse(atob(payload!.replaceAll("-", "+").replaceAll("_", "/"))).sub, USER);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
