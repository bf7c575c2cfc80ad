/**
 * HTTP helpers shared by the functions: JSON responses, errors as data
 * (`{"error":"snake_case",...}`), body parsing and constant-time secret checks.
 */
import type { z } from "zod";
import { bearerToken, secretMatches } from "../../../src/shared/secrets.ts";

export function json(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  return Response.json(body, { status, headers });
}

export function errorJson(status: number, error: string, extra: Record<string, unknown> = {}): Response {
  return json({ error, ...extra }, status);
}

/** Thrown inside a handler to answer with `status` and `{error, ...extra}`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(error);
  }

  toResponse(): Response {
    return errorJson(this.status, this.error, this.extra);
  }
}

/** Runs a handler, turning HttpError into its response and anything else into a logged 500. */
export async function handleErrors(name: string, run: () => Promise<Response>): Promise<Response> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof HttpError) return error.toResponse();
    console.error(`${name}: unhandled error`, error);
    return errorJson(500, "internal_error", { message: "unexpected error, see function logs" });
  }
}

export function requireMethod(request: Request, ...allowed: string[]): void {
  if (!allowed.includes(request.method)) {
    throw new HttpError(405, "method_not_allowed", { message: `use ${allowed.join(" or ")}` });
  }
}

/** Parses a JSON body against `schema`; 400 invalid_body naming each offending path. */
export async function readJsonBody<T extends z.ZodType>(request: Request, schema: T): Promise<z.output<T>> {
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    throw new HttpError(400, "invalid_body", { message: "body must be JSON" });
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new HttpError(400, "invalid_body", {
      message: "body does not match the expected shape",
      issues: parsed.error.issues.map((i) => ({ path: i.path.map(String).join(".") || "(root)", message: i.message })),
    });
  }
  return parsed.data;
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
  return new HttpError(401, "unauthorized", { message: "missing or wrong credentials" });
}
