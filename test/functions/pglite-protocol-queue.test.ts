/**
 * The test database under concurrent clients (the embedded PGlite multiplexes
 * every connection onto one backend): parameterised queries and transactions
 * from many connections at once must neither interleave nor leak.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { connect } from "../support/control-plane-db.ts";

Deno.test("concurrent connections keep their statements and transactions apart", async () => {
  const pools = Array.from({ length: 6 }, () => connect());
  try {
    const results = await Promise.all(pools.flatMap((sql, p) =>
      Array.from({ length: 10 }, async (_, i) => {
        const [row] = await sql<{ a: number; b: string; c: boolean }[]>`
          select ${p * 100 + i}::int as a, ${`v${p}-${i}`}::text as b, ${i % 2 === 0}::boolean as c`;
        return [row!.a, row!.b, row!.c];
      })
    ));
    assertEquals(results, pools.flatMap((_, p) => Array.from({ length: 10 }, (_, i) => [p * 100 + i, `v${p}-${i}`, i % 2 === 0])));

    const name = `concurrency ${crypto.randomUUID()}`;
    await Promise.all(pools.map((sql, p) =>
      sql.begin(async (tx) => {
        await tx`insert into public.clients (name) values (${`${name} ${p}`})`;
        await tx`select pg_sleep(0.01)`;
        if (p % 2 === 1) throw new Error("roll back");
      }).catch(() => {})
    ));
    const [kept] = await pools[0]!<{ n: number }[]>`select count(*)::int as n from public.clients where name like ${`${name}%`}`;
    assertEquals(kept!.n, 3);
  } finally {
    await Promise.all(pools.map((sql) => sql.end({ timeout: 5 })));
  }
});
