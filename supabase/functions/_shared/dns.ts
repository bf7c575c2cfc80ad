/**
 * DNS answers behind one small interface. With env DNS_RESOLVER (`host:port`)
 * the functions ask that DNS server directly (dns2's client over UDP/TCP):
 * locally the loopback server of scripts/dev/dns/, or any resolver an operator
 * names. Otherwise DNS-over-HTTPS (JSON API, env DNS_DOH_URL, default
 * Cloudflare's https://cloudflare-dns.com/dns-query).
 */
import dns2 from "dns2";

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

/** One answer record as dns2 decodes it. */
type Dns2Record = { type: number; data?: string[]; domain?: string; address?: string; tag?: string; value?: string };

/**
 * Queries one DNS server (`host:port`) directly, over UDP (TCP when truncated), with dns2's
 * client: Deno.resolveDns answers every `*.localhost` name itself (RFC 6761), without asking
 * the server, so it cannot verify the local demo domains.
 */
export function nameServerResolver(hostPort: string): DnsResolver {
  const match = /^(\[[0-9a-f:]+\]|[^:]+):(\d{1,5})$/i.exec(hostPort.trim());
  if (!match) throw new Error(`DNS_RESOLVER must be host:port, got ${hostPort}`);
  const ip = match[1]!.replace(/^\[|\]$/g, "");
  const query = dns2.UDPClient({ dns: ip, port: Number(match[2]), socketType: ip.includes(":") ? "udp6" : "udp4", timeout: TIMEOUT_MS });
  return {
    async lookup(name, type) {
      try {
        const answer = await query(name, type);
        if (answer.header.rcode === 3) return { kind: "none" };
        if (answer.header.rcode !== 0) return { kind: "error", message: `DNS rcode ${answer.header.rcode}` };
        const records = (answer.answers as Dns2Record[]).filter((record) => record.type === TYPE_CODES[type]);
        return records.length ? { kind: "records", values: records.map((record) => asText(type, record)) } : { kind: "none" };
      } catch (error) {
        return { kind: "error", message: error instanceof Error ? error.message : String(error) };
      }
    },
  };
}

function asText(type: RecordType, record: Dns2Record): string {
  if (type === "TXT") return (record.data ?? []).join("");
  if (type === "CAA") return `${(record.tag ?? "").toLowerCase()} ${record.value ?? ""}`;
  return normaliseName(record.domain ?? record.address ?? "");
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
