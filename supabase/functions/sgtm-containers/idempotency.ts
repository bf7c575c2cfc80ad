/**
 * Idempotency-Key handling (table public.idempotency_keys).
 *
 * `claimIdempotencyKey` runs inside the transaction that does the work, so a
 * key row exists exactly when the work was committed. A concurrent request with
 * the same key blocks on the primary key until the first commits, then sees it.
 */
import type postgres from "postgres";

type Sql = postgres.Sql | postgres.TransactionSql;

export const IDEMPOTENCY_KEY_RE = /^[\x21-\x7e]{1,255}$/;

export interface IdempotencyScope {
  userId: string;
  scope: string;
  key: string;
  requestHash: string;
}

export type Claim =
  | { state: "claimed" }
  | { state: "replay"; status: number; body: unknown }
  | { state: "reused" }
  | { state: "in_progress" };

/** SHA-256 of the canonical JSON (sorted keys) of a request body. */
export async function hashRequest(value: unknown): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonicalJson(value)));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export async function claimIdempotencyKey(tx: Sql, claim: IdempotencyScope): Promise<Claim> {
  const inserted = await tx`
    insert into public.idempotency_keys (user_id, scope, key, request_hash)
    values (${claim.userId}, ${claim.scope}, ${claim.key}, ${claim.requestHash})
    on conflict do nothing
    returning key`;
  if (inserted.length === 1) return { state: "claimed" };
  const [existing] = await tx`
    select request_hash, response_status, response_body from public.idempotency_keys
    where user_id = ${claim.userId} and scope = ${claim.scope} and key = ${claim.key}`;
  if (!existing) return { state: "in_progress" };
  if (existing.request_hash !== claim.requestHash) return { state: "reused" };
  if (existing.response_status === null) return { state: "in_progress" };
  return { state: "replay", status: existing.response_status, body: existing.response_body };
}

export async function completeIdempotencyKey(
  tx: Sql,
  claim: Omit<IdempotencyScope, "requestHash">,
  status: number,
  body: unknown,
): Promise<void> {
  await tx`
    update public.idempotency_keys
    set response_status = ${status}, response_body = ${tx.json(body as postgres.JSONValue)}, completed_at = now()
    where user_id = ${claim.userId} and scope = ${claim.scope} and key = ${claim.key}`;
}

/** The work failed and was undone: the key may be used again. */
export async function releaseIdempotencyKey(tx: Sql, claim: Omit<IdempotencyScope, "requestHash">): Promise<void> {
  await tx`
    delete from public.idempotency_keys
    where user_id = ${claim.userId} and scope = ${claim.scope} and key = ${claim.key} and response_status is null`;
}
