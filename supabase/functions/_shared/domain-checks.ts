/**
 * The DNS checks of a claimed hostname (contract section 11): the TXT challenge
 * proves control of the zone, the routing record (CNAME to the container's edge
 * hostname, or A/AAAA records of the platform, EDGE_APEX_IPS) proves the
 * hostname points at us, and CAA must let the edge provider's CA issue its
 * certificate. `evaluate*` are pure; `checkDomain` does the lookups.
 */
import { type DnsAnswer, type DnsResolver, normaliseName } from "./dns.ts";

export type ProblemCode =
  | "txt_missing"
  | "txt_mismatch"
  | "routing_missing"
  | "routing_elsewhere"
  | "caa_forbids_issuer"
  | "dns_error"
  | "activation_failed"
  | "domain_taken";

export interface Problem {
  code: ProblemCode;
  message: string;
}

export interface DomainPolicy {
  /** A/AAAA addresses of the platform, for apex hostnames that cannot hold a CNAME. */
  apexIps: string[];
  /** CAA issuer domains the edge provider's certificates come from. */
  issuers: string[];
}

export interface Claim {
  hostname: string;
  challenge: string;
  edgeHostname: string;
  /**
   * Same-origin mode (section 10): the hostname points at the customer's own server, whose
   * proxy forwards to the edge hostname. No routing record or certificate of ours applies, so
   * the TXT challenge is the proof, at verification and at every re-check.
   */
  sameOrigin?: boolean;
}

export type RoutingVerdict = "ok" | "missing" | "elsewhere" | "error";

export interface CheckResult {
  ok: boolean;
  routing: RoutingVerdict;
  problems: Problem[];
}

export const CHALLENGE_PREFIX = "_qaxal-challenge";

export function challengeName(hostname: string): string {
  return `${CHALLENGE_PREFIX}.${hostname}`;
}

export function evaluateTxt(answer: DnsAnswer, claim: Claim): Problem | null {
  const name = challengeName(claim.hostname);
  if (answer.kind === "error") return dnsError(name, "TXT", answer.message);
  if (answer.kind === "none" || answer.values.length === 0) {
    return { code: "txt_missing", message: `No TXT record at ${name}. Add one with the value ${claim.challenge}.` };
  }
  if (answer.values.some((value) => value.trim() === claim.challenge)) return null;
  return {
    code: "txt_mismatch",
    message: `The TXT record at ${name} is ${answer.values.map((v) => `"${v}"`).join(", ")}, expected "${claim.challenge}".`,
  };
}

export function evaluateRouting(
  cname: DnsAnswer,
  addresses: DnsAnswer[],
  claim: Claim,
  policy: DomainPolicy,
): { verdict: RoutingVerdict; problem: Problem | null } {
  const host = claim.hostname;
  if (cname.kind === "error") return { verdict: "error", problem: dnsError(host, "CNAME", cname.message) };
  if (cname.kind === "records" && cname.values.length) {
    const target = normaliseName(cname.values[0]!);
    if (target === claim.edgeHostname) return { verdict: "ok", problem: null };
    return {
      verdict: "elsewhere",
      problem: { code: "routing_elsewhere", message: `${host} is a CNAME to ${target}, not to ${claim.edgeHostname}.` },
    };
  }
  const failed = addresses.find((a) => a.kind === "error");
  if (failed?.kind === "error") return { verdict: "error", problem: dnsError(host, "A/AAAA", failed.message) };
  const ips = addresses.flatMap((a) => a.kind === "records" ? a.values : []);
  if (ips.length === 0) {
    return {
      verdict: "missing",
      problem: { code: "routing_missing", message: `${host} has no CNAME record. Point it at ${claim.edgeHostname}.` },
    };
  }
  const platform = new Set(policy.apexIps.map(normaliseName));
  const foreign = ips.filter((ip) => !platform.has(normaliseName(ip)));
  if (foreign.length === 0) return { verdict: "ok", problem: null };
  const expected = policy.apexIps.length
    ? `a CNAME to ${claim.edgeHostname} or the platform's addresses ${policy.apexIps.join(", ")}`
    : `a CNAME to ${claim.edgeHostname}`;
  return {
    verdict: "elsewhere",
    problem: { code: "routing_elsewhere", message: `${host} points at ${foreign.join(", ")}, expected ${expected}.` },
  };
}

/**
 * CAA (RFC 8659): the closest name (the hostname, then each parent) with CAA
 * records decides; when its `issue` records name none of our issuers, no
 * certificate can be issued. `sets` are the answers from the hostname upwards.
 */
export function evaluateCaa(sets: { name: string; answer: DnsAnswer }[], policy: DomainPolicy): Problem | null {
  for (const { name, answer } of sets) {
    if (answer.kind === "error") return dnsError(name, "CAA", answer.message);
    if (answer.kind === "none" || answer.values.length === 0) continue;
    const issuers = answer.values
      .filter((value) => value.startsWith("issue "))
      .map((value) => value.slice("issue ".length).split(";")[0]!.trim().toLowerCase());
    if (issuers.length === 0) return null;
    if (issuers.some((issuer) => policy.issuers.includes(issuer))) return null;
    return {
      code: "caa_forbids_issuer",
      message: `The CAA records of ${name} allow only ${issuers.map((i) => i || "no CA").join(", ")}; ` +
        `add CAA 0 issue "${policy.issuers[0]}" so the edge can get a certificate.`,
    };
  }
  return null;
}

function dnsError(name: string, type: string, detail: string): Problem {
  return { code: "dns_error", message: `Looking up ${type} ${name} failed (${detail}); try again shortly.` };
}

/** The hostname and each parent domain with at least two labels, closest first. */
export function caaNames(hostname: string): string[] {
  const labels = hostname.split(".");
  return labels.slice(0, -1).map((_, index) => labels.slice(index).join("."));
}

/** `withTxt`: the full verification; without it only routing (the nightly re-check). */
export async function checkDomain(
  resolver: DnsResolver,
  claim: Claim,
  policy: DomainPolicy,
  withTxt = true,
): Promise<CheckResult> {
  if (claim.sameOrigin) return checkSameOriginDomain(resolver, claim);
  const [txt, cname, a, aaaa, caa] = await Promise.all([
    withTxt ? resolver.lookup(challengeName(claim.hostname), "TXT") : null,
    resolver.lookup(claim.hostname, "CNAME"),
    resolver.lookup(claim.hostname, "A"),
    resolver.lookup(claim.hostname, "AAAA"),
    withTxt
      ? Promise.all(caaNames(claim.hostname).map(async (name) => ({ name, answer: await resolver.lookup(name, "CAA") })))
      : null,
  ]);
  const routing = evaluateRouting(cname, cname.kind === "records" ? [] : [a, aaaa], claim, policy);
  const problems = [
    txt ? evaluateTxt(txt, claim) : null,
    routing.problem,
    caa ? evaluateCaa(caa, policy) : null,
  ].filter((p): p is Problem => p !== null);
  return { ok: problems.length === 0, routing: routing.verdict, problems };
}

/** Same-origin: the TXT challenge decides, and stands for the routing verdict of the re-check. */
async function checkSameOriginDomain(resolver: DnsResolver, claim: Claim): Promise<CheckResult> {
  const answer = await resolver.lookup(challengeName(claim.hostname), "TXT");
  const problem = evaluateTxt(answer, claim);
  const routing: RoutingVerdict = !problem
    ? "ok"
    : problem.code === "dns_error"
    ? "error"
    : problem.code === "txt_missing"
    ? "missing"
    : "elsewhere";
  return { ok: problem === null, routing, problems: problem ? [problem] : [] };
}

/** EDGE_APEX_IPS (comma-separated), EDGE_CA_DOMAINS (default Cloudflare's CAs). */
export function domainPolicyFromEnv(): DomainPolicy {
  const list = (value: string | undefined) => (value ?? "").split(",").map((v) => v.trim().toLowerCase()).filter(Boolean);
  const issuers = list(Deno.env.get("EDGE_CA_DOMAINS"));
  return {
    apexIps: list(Deno.env.get("EDGE_APEX_IPS")),
    issuers: issuers.length ? issuers : ["letsencrypt.org", "pki.goog", "ssl.com"],
  };
}
