// Local stand-in of Supabase's Data API (PostgREST) for reads, what supabase-js
// `.from(relation).select(…)` sends: GET /rest/v1/{relation} with `select`, column filters
// (eq, neq, gt, gte, lt, lte, in, is), `order` and `limit`. Each request runs in its own
// transaction as the caller's role, with request.jwt.claims set as PostgREST sets them, so
// the database's RLS and column privileges decide exactly as on a hosted project:
//   Authorization: Bearer <user JWT>          role authenticated (ES256, checked against the JWKS)
//   Authorization: Bearer <service role key>  role service_role
// Anything else is 401. Writes are not served (405): the functions do those.
import { createPublicKey, timingSafeEqual, verify } from "node:crypto";
import { createServer } from "node:http";

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const OPERATORS = { eq: "=", neq: "<>", gt: ">", gte: ">=", lt: "<", lte: "<=" };
const RESERVED = new Set(["select", "order", "limit", "offset"]);
const MAX_LIMIT = 10_000;
const JWKS_REFRESH_MS = 30_000;

class RestError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Pure: query string -> SQL text and parameters for `relation` (identifiers checked, values bound). */
export function buildSelect(relation, params) {
  if (!IDENTIFIER.test(relation)) throw new RestError(400, "PGRST100", `bad relation name ${relation}`);
  const columns = (params.get("select") ?? "*").split(",").map((c) => c.trim());
  if (!columns.every((c) => c === "*" || IDENTIFIER.test(c))) throw new RestError(400, "PGRST100", "select: plain column names only");
  const values = [];
  const where = [];
  for (const [column, expression] of params) {
    if (RESERVED.has(column)) continue;
    if (!IDENTIFIER.test(column)) throw new RestError(400, "PGRST100", `bad column ${column}`);
    const dot = expression.indexOf(".");
    const [op, operand] = [expression.slice(0, dot), expression.slice(dot + 1)];
    if (op in OPERATORS) {
      values.push(operand);
      where.push(`"${column}" ${OPERATORS[op]} $${values.length}`);
    } else if (op === "in" && /^\(.*\)$/.test(operand)) {
      values.push(operand.slice(1, -1).split(",").map((v) => v.replace(/^"(.*)"$/, "$1")));
      where.push(`"${column}" = any($${values.length})`);
    } else if (op === "is" && ["null", "true", "false"].includes(operand)) {
      where.push(`"${column}" is ${operand}`);
    } else {
      throw new RestError(400, "PGRST100", `unsupported filter ${column}=${expression}`);
    }
  }
  const order = (params.get("order") ?? "").split(",").filter(Boolean).map((part) => {
    const [column, direction = "asc", nulls] = part.split(".");
    if (!IDENTIFIER.test(column) || !["asc", "desc"].includes(direction) || ![undefined, "nullsfirst", "nullslast"].includes(nulls)) {
      throw new RestError(400, "PGRST100", `bad order ${part}`);
    }
    return `"${column}" ${direction}${nulls ? ` nulls ${nulls.slice(5)}` : ""}`;
  });
  const limit = params.get("limit");
  if (limit !== null && (!/^\d+$/.test(limit) || Number(limit) > MAX_LIMIT)) throw new RestError(400, "PGRST100", "bad limit");
  const text = [
    `select ${columns.map((c) => (c === "*" ? "*" : `"${c}"`)).join(", ")} from public."${relation}"`,
    where.length ? `where ${where.join(" and ")}` : "",
    order.length ? `order by ${order.join(", ")}` : "",
    limit !== null ? `limit ${Number(limit)}` : "",
  ].filter(Boolean).join(" ");
  return { text, values };
}

/** The caller's role and claims from the Authorization header, or a RestError 401. */
async function callerOf(header, { serviceRoleKey, issuer, jwks }) {
  const token = /^Bearer (\S+)$/.exec(header ?? "")?.[1];
  if (!token) throw new RestError(401, "PGRST301", "no bearer token");
  if (token.length === serviceRoleKey.length && timingSafeEqual(Buffer.from(token), Buffer.from(serviceRoleKey))) {
    return { role: "service_role", claims: { role: "service_role" } };
  }
  const [head, body, signature] = token.split(".");
  let header64;
  let claims;
  try {
    header64 = JSON.parse(Buffer.from(head, "base64url").toString());
    claims = JSON.parse(Buffer.from(body, "base64url").toString());
  } catch {
    throw new RestError(401, "PGRST301", "not a JWT");
  }
  const jwk = header64.alg === "ES256" ? await jwks(header64.kid) : null;
  const valid = jwk && verify("sha256", Buffer.from(`${head}.${body}`), {
    key: createPublicKey({ key: jwk, format: "jwk" }), dsaEncoding: "ieee-p1363",
  }, Buffer.from(signature ?? "", "base64url"));
  const audience = [claims.aud].flat();
  if (!valid || claims.iss !== issuer || !audience.includes("authenticated") || claims.role !== "authenticated" ||
      !(claims.exp > Date.now() / 1000)) {
    throw new RestError(401, "PGRST301", "JWT invalid or expired");
  }
  return { role: "authenticated", claims };
}

/** A JWKS fetched from `url`, looked up again at most every 30 s for a kid it lacks. */
function jwksFrom(url) {
  let keys = [];
  let fetchedAt = 0;
  return async (kid) => {
    const find = () => keys.find((key) => key.kid === kid) ?? null;
    if (!find() && Date.now() - fetchedAt > JWKS_REFRESH_MS) {
      fetchedAt = Date.now();
      keys = (await (await fetch(url)).json()).keys ?? [];
    }
    return find();
  };
}

/**
 * @param {{ sql: import("postgres").Sql, port?: number, serviceRoleKey: string, supabaseUrl: string }} options
 *   `supabaseUrl`: where GoTrue's issuer and JWKS are (`{supabaseUrl}/auth/v1`).
 */
export async function startPostgrestStandin({ sql, port = 0, serviceRoleKey, supabaseUrl }) {
  const auth = {
    serviceRoleKey,
    issuer: `${supabaseUrl.replace(/\/$/, "")}/auth/v1`,
    jwks: jwksFrom(`${supabaseUrl.replace(/\/$/, "")}/auth/v1/.well-known/jwks.json`),
  };
  const server = createServer(async (req, res) => {
    const send = (status, body) => {
      res.writeHead(status, { "content-type": "application/json; charset=utf-8", "access-control-allow-origin": "*" });
      res.end(JSON.stringify(body));
    };
    try {
      const url = new URL(req.url ?? "/", "http://rest");
      const relation = /^\/rest\/v1\/([^/]+)$/.exec(url.pathname)?.[1];
      if (!relation) throw new RestError(404, "PGRST125", "not a /rest/v1/{relation} path");
      if (req.method !== "GET" && req.method !== "HEAD") throw new RestError(405, "PGRST117", "this stand-in serves reads only");
      const { role, claims } = await callerOf(req.headers.authorization, auth);
      const query = buildSelect(relation, url.searchParams);
      const rows = await sql.begin(async (tx) => {
        await tx`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
        await tx.unsafe(`set local role ${role}`);
        return tx.unsafe(query.text, query.values);
      });
      send(200, [...rows]);
    } catch (error) {
      if (error instanceof RestError) return send(error.status, { code: error.code, message: error.message, details: null, hint: null });
      // Postgres errors keep PostgREST's shape: 42P01 unknown relation, 42501 not allowed.
      const status = error.code === "42P01" ? 404 : error.code === "42501" ? 403 : 400;
      send(status, { code: error.code ?? "PGRST000", message: error.message, details: null, hint: null });
    }
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
