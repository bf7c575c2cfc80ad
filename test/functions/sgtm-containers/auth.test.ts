/**
 * User-token verification through supabase-js getClaims against the local
 * JWKS (served by the functions server), with a signing key made for this run.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { authenticatedUserId } from "../../../supabase/functions/sgtm-containers/auth.ts";
import { startFunctionsServer } from "../../../scripts/dev/platform/functions-server.ts";
import { generateSigningKey, loadOrCreateSigningKey, mintUserJwt } from "../../../scripts/dev/platform/local-auth.ts";

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
