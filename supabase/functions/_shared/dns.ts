/**
 * DNS answers behind one small interface. With env DNS_RESOLVER (`host:port`)
 * the functions ask that DNS server directly (Deno.resolveDns over UDP/TCP):
 * locally the loopback server of scripts/dev/dns/, or any resolver an operator
 * names. Otherwise DNS-over-HTTPS (JSON API, env DNS_DOH_URL, default
 * Cloudflare's https://cloudflare-dns.com/dns-query).
 */
export type RecordType = "TXT" | "CNAME" | "A" | "AAAA" | "CAA";

/** CAA values read `<tag> <value>`, e.g. `issue letsencrypt.org`. */
export type DnsAnswer =
  | { kind: "records"; values: string[] }
  | { kind: "none" }
  | { kind: "error"; message: string };

export interface DnsResolver {
  lookup(name: string, type: RecordType): Promise<DnsAnswer>;
}

const TIMEOUT_MS = 5_000;

/** Queries one DNS server (`host:port`) directly. */
export function nameServerResolver(hostPort: string): DnsResolver {
  const match = /^(\[[0-9a-f:]+\]|[^:]+):(\d{1,5})$/i.exec(hostPort.trim());
  if (!match) throw new Error(`DNS_RESOLVER must be host:port, got ${hostPort}`);
  const nameServer = { ipAddr: match[1]!.replace(/^\[|\]$/g, ""), port: Number(match[2]) };
  return {
    async lookup(name, type) {
      try {
        const signal = AbortSignal.timeout(TIMEOUT_MS);
        // deno-lint-ignore no-explicit-any
        const records: any[] = await Deno.resolveDns(name, type as any, { nameServer, signal });
        return { kind: "records", values: records.map((record) => asText(type, record)) };
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return { kind: "none" };
        return { kind: "error", message: error instanceof Error ? error.message : String(error) };
      }
    },
  };
}

function asText(type: RecordType, record: unknown): string {
  if (type === "TXT") return (record as string[]).join("");
  if (type === "CAA") {
    const caa = record as { tag: string; value: string };
    return `${caa.tag.toLowerCase()} ${caa.value}`;
  }
  return normaliseName(String(record));
}

const TYPE_CODES: Record<RecordType, number> = { A: 1, CNAME: 5, TXT: 16, AAAA: 28, CAA: 257 };

/** DNS-over-HTTPS, JSON API (`?name=&type=`, application/dns-json) as Cloudflare and Google serve it. */
export function dohResolver(url: string, doFetch: typeof fetch = fetch): DnsResolver {
  return {
    async lookup(name, type) {
      try {
        const query = new URL(url);
        query.searchParams.set("name", name);
        query.searchParams.set("type", type);
        const response = await doFetch(query, {
          headers: { accept: "application/dns-json" },
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
        if (!response.ok) return { kind: "error", message: `DNS-over-HTTPS answered ${response.status}` };
        const body = await response.json() as { Status?: number; Answer?: { type: number; data: string }[] };
        if (body.Status === 3) return { kind: "none" };
        if (body.Status !== 0) return { kind: "error", message: `DNS status ${body.Status}` };
        const values = (body.Answer ?? []).filter((a) => a.type === TYPE_CODES[type]).map((a) => dohText(type, a.data));
        return values.length ? { kind: "records", values } : { kind: "none" };
      } catch (error) {
        return { kind: "error", message: error instanceof Error ? error.message : String(error) };
      }
    },
  };
}

/** JSON API data: TXT quoted strings, CAA `0 issue "ca"`, names with a trailing dot. */
function dohText(type: RecordType, data: string): string {
  if (type === "TXT") return [...data.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]).join("") || data;
  if (type === "CAA") {
    const caa = /^\d+\s+(\S+)\s+"?([^"]*)"?$/.exec(data.trim());
    return caa ? `${caa[1]!.toLowerCase()} ${caa[2]}` : data;
  }
  return normaliseName(data);
}

export function normaliseName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, "");
}

export function dnsResolverFromEnv(): DnsResolver {
  const server = Deno.env.get("DNS_RESOLVER");
  if (server) return nameServerResolver(server);
  return dohResolver(Deno.env.get("DNS_DOH_URL") ?? "https://cloudflare-dns.com/dns-query");
}
