// The DNS_RESOLVER path against the real local DNS server: every record type the domain checks
// read, including names under .localhost (the local demo's), which Deno.resolveDns would answer
// itself without asking the server.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { nameServerResolver } from "../../../supabase/functions/_shared/dns.ts";
import { startLocalDns } from "../../support/local-dns.ts";

Deno.test("nameServerResolver reads TXT, CNAME, A, AAAA and CAA from the named server, .localhost too", async () => {
  const dns = await startLocalDns();
  try {
    await dns.add("_qaxal-challenge.news.localhost", "TXT", "challenge-1");
    await dns.add("news.localhost", "CNAME", "abc.edge.localhost");
    await dns.add("apex.example.test", "A", "192.0.2.10");
    await dns.add("apex.example.test", "AAAA", "2001:db8::10");
    await dns.add("apex.example.test", "CAA", '0 issue "letsencrypt.org"');
    const resolver = nameServerResolver(dns.address);
    assertEquals(await resolver.lookup("_qaxal-challenge.news.localhost", "TXT"), { kind: "records", values: ["challenge-1"] });
    assertEquals(await resolver.lookup("news.localhost", "CNAME"), { kind: "records", values: ["abc.edge.localhost"] });
    assertEquals(await resolver.lookup("apex.example.test", "A"), { kind: "records", values: ["192.0.2.10"] });
    assertEquals(await resolver.lookup("apex.example.test", "AAAA"), { kind: "records", values: ["2001:db8::10"] });
    assertEquals(await resolver.lookup("apex.example.test", "CAA"), { kind: "records", values: ["issue letsencrypt.org"] });
    // Positive control for "none": a name the server does not hold.
    assertEquals((await resolver.lookup("_qaxal-challenge.other.localhost", "TXT")).kind, "none");
  } finally {
    await dns.close();
  }
});
