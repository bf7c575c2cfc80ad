/**
 * Host and X-Public-Host (src/modules/site-select.ts): a host is either one canonical
 * lower-case name or nothing, and a public host selects a site only when it names a
 * host of the same container exactly (case, one trailing dot and a port aside).
 */
import fc from "fast-check";
import { describe, expect } from "vitest";
import { normalizeHost, selectSite } from "../../src/modules/site-select";
import { hostnameSchema, type Site } from "../../src/shared/edge-config";
import { testConfig } from "../support/config";
import { aroundValid, hostilePiece } from "./arbitraries";
import { fuzz } from "./runs";

const config = testConfig();
/** Another tenant: its hosts are valid names that must never select one of `config`'s sites. */
const FOREIGN_HOSTS = ["www.victim.test", "data.victim.test", "victim.test", "example.com.victim.test", "evilexample.com"];
const OWN_HOSTS = config.sites.flatMap((site) => [site.primary_host, ...site.tracked_domains]);
const OTHER_NAMES = [config.edge_hostname, "metrics.example.com", "trqaxal.com", "localhost", "127.0.0.1"];

const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,12}[a-z0-9])?$/);
const randomCase = (text: string, flips: number) =>
  [...text].map((char, i) => ((flips >> i % 30) & 1 ? char.toUpperCase() : char)).join("");

/** Hosts as clients send them: names, IPv4/IPv6 literals, optional trailing dot and port, any case. */
const hostLike: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(
      fc.constantFrom(...OWN_HOSTS, ...FOREIGN_HOSTS, ...OTHER_NAMES),
      fc.array(label, { minLength: 1, maxLength: 5 }).map((labels) => labels.join(".")),
      fc.ipV4(),
      fc.ipV6().map((ip) => `[${ip}]`),
    ),
    fc.boolean(),
    fc.option(fc.oneof(fc.integer({ min: 0, max: 70_000 }).map(String), hostilePiece), { nil: undefined, freq: 1 }),
    fc.nat(),
  )
  .map(([host, trailingDot, port, flips]) => randomCase(`${host}${trailingDot ? "." : ""}${port === undefined ? "" : `:${port}`}`, flips));

const hostInput = aroundValid(hostLike, 300, 4);
/** X-Public-Host: mostly this container's own hosts in some spelling, so both branches of selectSite run. */
const ownHostSpelled = fc
  .tuple(fc.constantFrom(...OWN_HOSTS), fc.boolean(), fc.option(fc.integer({ min: 0, max: 65_535 }), { nil: undefined }), fc.nat())
  .map(([host, dot, port, flips]) => randomCase(`${host}${dot ? "." : ""}${port === undefined ? "" : `:${port}`}`, flips));
const publicHostInput = fc.oneof(
  { weight: 3, arbitrary: ownHostSpelled },
  { weight: 3, arbitrary: hostInput },
  { weight: 1, arbitrary: fc.constant(null) },
);

/** What normalizeHost may remove from the lower-cased input: one trailing dot, then a port. */
const STRIPPABLE_TAIL_RE = /^\.?(?::\d{1,5})?$/;

function siteOwning(host: string): Site | undefined {
  return config.sites.find((site) => site.primary_host === host || site.tracked_domains.includes(host));
}

describe("Host / X-Public-Host", () => {
  fuzz("normalizeHost: null, or a lower-case hostname/IPv4 with no port, no trailing dot, only [a-z0-9.-]", fc.oneof({ weight: 20, arbitrary: hostInput }, { weight: 1, arbitrary: fc.constant(null) }), (raw) => {
    const host = normalizeHost(raw);
    if (host === null) return "refused";
    expect(host).toMatch(/^[a-z0-9.-]{1,253}$/);
    expect(host.endsWith(".")).toBe(false);
    expect(hostnameSchema.safeParse(host).success).toBe(true);
    expect(normalizeHost(host)).toBe(host);
    const lower = (raw as string).toLowerCase();
    // Nothing but case, one trailing dot and a port separates the raw header from the result.
    expect(lower.startsWith(host)).toBe(true);
    expect(lower.slice(host.length)).toMatch(STRIPPABLE_TAIL_RE);
    return "accepted";
  });

  fuzz(
    "selectSite: always a site of this container; X-Public-Host selects only when it names one of its hosts exactly",
    fc.record({ requestHost: hostInput, publicHost: publicHostInput }),
    ({ requestHost, publicHost }) => {
      const chosen = selectSite(config, requestHost, publicHost);
      expect(config.sites).toContain(chosen);
      const named = normalizeHost(publicHost);
      const byPublicHost = named === null ? undefined : siteOwning(named);
      if (byPublicHost) {
        expect(chosen).toBe(byPublicHost);
        expect(FOREIGN_HOSTS).not.toContain(named);
        const lower = (publicHost as string).toLowerCase();
        expect(lower.slice(named!.length)).toMatch(STRIPPABLE_TAIL_RE);
        return "accepted";
      }
      // A foreign, malformed or unowned X-Public-Host changes nothing.
      expect(chosen).toBe(selectSite(config, requestHost, null));
      return "refused";
    },
  );
});
