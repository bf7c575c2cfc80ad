#!/usr/bin/env node
/**
 * LOCAL AUTHORITATIVE DNS SERVER (dns2) for `npm start` and the tests: a real
 * DNS server on loopback (UDP and TCP on one port) answering for whatever
 * records it holds, so domain verification runs the same resolver code path
 * as against any other DNS server (env DNS_RESOLVER=host:port).
 *
 * Records are changed over a small HTTP interface (loopback only):
 *   GET    /records                        -> {"records":[{name,type,value}…]}
 *   POST   /records {name,type,value}      -> 201 (adds; types A, AAAA, CNAME, TXT, CAA)
 *   DELETE /records {name,type?,value?}    -> 200 {"removed":n} (every match)
 * CAA values are written `<flags> <tag> "<value>"`, e.g. `0 issue "letsencrypt.org"`.
 *
 * Run: `node scripts/dev/dns/server.mjs [--port 0] [--http-port 0]`; prints one line
 * `ready {"dns":"127.0.0.1:<port>","http":"http://127.0.0.1:<port>"}` once both listen.
 */
import { createServer as createHttpServer } from "node:http";
import { pathToFileURL } from "node:url";
import dns2 from "dns2";
import { readJson, respondJson } from "../standins/json-http.mjs";

const { Packet } = dns2;
const TYPES = ["A", "AAAA", "CNAME", "TXT", "CAA"];
const TTL = 5;
/** CNAME chains inside the zone are followed this far (loops end there). */
const MAX_CHAIN = 8;

/**
 * @param {{ port?: number, httpPort?: number, host?: string, records?: {name:string,type:string,value:string}[] }} [options]
 */
export async function startDnsServer(options = {}) {
  const host = options.host ?? "127.0.0.1";
  /** @type {{name:string,type:string,value:string}[]} */
  const records = [];
  for (const record of options.records ?? []) addRecord(records, record);

  const { server: dns, port: dnsPort } = await listenDns(
    () => dns2.createServer({ udp: true, tcp: true, handle: (request, send) => send(answer(records, request)) }),
    host,
    options.port ?? 0,
  );
  const http = createHttpServer((req, res) => {
    readJson(req).then(
      (body) => respondJson(res, ...records_api(records, req.method, new URL(req.url ?? "/", "http://dns").pathname, body)),
      () => respondJson(res, 400, { error: "invalid_json" }),
    );
  });
  await new Promise((resolve) => http.listen(options.httpPort ?? 0, host, resolve));
  const httpPort = /** @type {import("node:net").AddressInfo} */ (http.address()).port;
  return {
    dns: `${host}:${dnsPort}`,
    http: `http://${host}:${httpPort}`,
    records,
    async close() {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
      await dns.close();
    },
  };
}

/** UDP and TCP must share the port (resolvers retry over TCP on a truncated answer). */
async function listenDns(makeServer, host, port) {
  for (let attempt = 0; attempt < 20; attempt++) {
    const wanted = port || 20000 + Math.floor(Math.random() * 40000);
    const server = makeServer();
    try {
      await new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen({ udp: { port: wanted, address: host }, tcp: { port: wanted, address: host } }).then(resolve);
      });
      return { server, port: wanted };
    } catch (error) {
      await Promise.race([server.close(), new Promise((resolve) => setTimeout(resolve, 100))]).catch(() => {});
      if (port) throw error;
    }
  }
  throw new Error("no free port for the DNS server");
}

function normaliseName(name) {
  return String(name).trim().toLowerCase().replace(/\.$/, "");
}

function addRecord(records, input) {
  const record = { name: normaliseName(input.name), type: String(input.type).toUpperCase(), value: String(input.value) };
  if (!record.name || !TYPES.includes(record.type) || !record.value) throw new Error("name, type (A AAAA CNAME TXT CAA) and value are required");
  if (record.type === "CAA") parseCaa(record.value);
  if (!records.some((r) => r.name === record.name && r.type === record.type && r.value === record.value)) records.push(record);
  return record;
}

function records_api(records, method, path, body) {
  if (path !== "/records") return [404, { error: "not_found" }];
  if (method === "GET") return [200, { records }];
  if (method === "POST") {
    try {
      return [201, { record: addRecord(records, body ?? {}) }];
    } catch (error) {
      return [400, { error: "invalid_record", message: error.message }];
    }
  }
  if (method === "DELETE") {
    if (typeof body?.name !== "string") return [400, { error: "invalid_record", message: "name is required" }];
    const name = normaliseName(body.name);
    const type = body.type ? String(body.type).toUpperCase() : null;
    let removed = 0;
    for (let i = records.length - 1; i >= 0; i--) {
      const r = records[i];
      if (r.name === name && (!type || r.type === type) && (body.value === undefined || r.value === String(body.value))) {
        records.splice(i, 1);
        removed++;
      }
    }
    return [200, { removed }];
  }
  return [405, { error: "method_not_allowed" }];
}

/** Authoritative answer: the records of the asked type, else the CNAME chain (and its target's records). */
function answer(records, request) {
  const response = Packet.createResponseFromRequest(request);
  response.header.aa = 1;
  response.header.ra = 0;
  const [question] = request.questions;
  if (!question) return response;
  const type = Object.keys(Packet.TYPE).find((key) => Packet.TYPE[key] === question.type);
  let name = normaliseName(question.name);
  for (let hop = 0; hop < MAX_CHAIN; hop++) {
    const exact = records.filter((r) => r.name === name && r.type === type);
    if (exact.length) {
      response.answers.push(...exact.map((r) => resource(question.name === name ? question.name : name, r)));
      return response;
    }
    const cname = type === "CNAME" ? undefined : records.find((r) => r.name === name && r.type === "CNAME");
    if (!cname) break;
    response.answers.push(resource(name, cname));
    name = normaliseName(cname.value);
  }
  if (!response.answers.length && !records.some((r) => r.name === normaliseName(question.name))) {
    response.header.rcode = Packet.RCODE.NXDOMAIN;
  }
  return response;
}

function resource(name, record) {
  const base = { name, type: Packet.TYPE[record.type], class: Packet.CLASS.IN, ttl: TTL };
  switch (record.type) {
    case "A":
    case "AAAA":
      return { ...base, address: record.value };
    case "CNAME":
      return { ...base, domain: record.value };
    case "TXT":
      return { ...base, data: record.value };
    case "CAA":
      return { ...base, ...parseCaa(record.value) };
  }
}

function parseCaa(value) {
  const match = /^(\d{1,3})\s+([a-z0-9]+)\s+"?([^"]*)"?$/i.exec(value.trim());
  if (!match) throw new Error(`CAA value must look like 0 issue "ca.example": ${value}`);
  return { flags: Number(match[1]), tag: match[2].toLowerCase(), value: match[3] };
}

function argValue(flag) {
  const index = process.argv.indexOf(flag);
  return index > 0 ? process.argv[index + 1] : undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const server = await startDnsServer({ port: Number(argValue("--port") ?? 0), httpPort: Number(argValue("--http-port") ?? 0) });
  console.log(`ready ${JSON.stringify({ dns: server.dns, http: server.http })}`);
  // records live in memory only: nothing to flush, so stop at once
  process.on("SIGTERM", () => process.exit(0));
  process.on("SIGINT", () => process.exit(0));
}
