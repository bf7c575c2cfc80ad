/**
 * HTTP helpers shared by the functions: JSON responses, errors as data
 * (`{"error":"snake_case",...}`), body parsing and constant-time secret checks.
 */
import type { z } from "zod";
import { readBoundedText } from "../../../src/shared/body.ts";
import { type ErrorBody, errorResponse, HttpError } from "../../../src/shared/errors.ts";
import { bearerToken, secretMatches } from "../../../src/shared/secrets.ts";
import { isDatabaseUnavailable } from "./db.ts";

/** What a caller is told to wait before retrying while the database is unavailable. */
const DATABASE_RETRY_AFTER_S = 5;

export function json(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  return Response.json(body, { status, headers });
}

/**
 * Runs a handler, turning an HttpError (src/shared/errors.ts, the one class both planes
 * throw) into its response, a database that is down or restarting into a 503 the caller can
 * retry (test/reliability/control-plane.test.mjs), and anything else into a logged 500.
 */
export async function handleErrors(name: string, run: () => Promise<Response>): Promise<Response> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof HttpError) return json(error.body, error.status);
    if (isDatabaseUnavailable(error)) {
      console.warn(`${name}: database unavailable (${(error as { code: string }).code})`);
      const body: ErrorBody = {
        error: "database_unavailable",
        message: `the database is not reachable right now; retry in ${DATABASE_RETRY_AFTER_S} s`,
      };
      return json(body, 503, { "Retry-After": String(DATABASE_RETRY_AFTER_S) });
    }
    console.error(`${name}: unhandled error`, error);
    return errorResponse(500, "internal_error", { message: "unexpected error, see function logs" });
  }
}

export function requireMethod(request: Request, ...allowed: string[]): void {
  if (!allowed.includes(request.method)) {
    throw new HttpError(405, { error: "method_not_allowed", message: `use ${allowed.join(" or ")}` });
  }
}

/** The largest JSON body a function reads (the edge's bound on admin config bodies, contract section 8). */
export const MAX_JSON_BODY_BYTES = 256 * 1024;

/**
 * Parses a JSON body against `schema`: 413 payload_too_large over MAX_JSON_BODY_BYTES
 * (nothing past the bound is buffered), 400 invalid_body naming each offending path.
 */
export async function readJsonBody<T extends z.ZodType>(request: Request, schema: T): Promise<z.output<T>> {
  const read = await readBoundedText(request, MAX_JSON_BODY_BYTES);
  if (!read.ok && read.problem === "too_large") {
    throw new HttpError(413, {
      error: "payload_too_large",
      message: `body over ${MAX_JSON_BODY_BYTES / 1024} KB`,
      max_bytes: MAX_JSON_BODY_BYTES,
    });
  }
  // not UTF-8 is not JSON either (RFC 8259 section 8.1)
  const body = read.ok ? parseJson(read.text) : undefined;
  if (body === undefined) throw new HttpError(400, { error: "invalid_body", message: "body must be JSON" });
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new HttpError(400, {
      error: "invalid_body",
      message: "body does not match the expected shape",
      issues: parsed.error.issues.map((i) => ({ path: i.path.map(String).join(".") || "(root)", message: i.message })),
    });
  }
  return parsed.data;
}

/** The value of JSON text, or undefined (which no JSON text parses to) when it is not JSON. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `X-Edge-Auth` equals env EDGE_AUTH_SECRET (the edge's shared secret). */
export function isEdgeCaller(request: Request): boolean {
  return secretMatches(request.headers.get("x-edge-auth"), Deno.env.get("EDGE_AUTH_SECRET"));
}

/** `Authorization: Bearer` equals env SUPABASE_SERVICE_ROLE_KEY. */
export function isServiceRoleCaller(request: Request): boolean {
  return secretMatches(bearerToken(request), Deno.env.get("SUPABASE_SERVICE_ROLE_KEY"));
}

export function unauthorized(): HttpError {
  return new HttpError(401, { error: "unauthorized", message: "missing or wrong credentials" });
}
