/**
 * Shared-secret checks for both runtimes (Worker and Deno functions): a presented
 * secret is compared in time independent of where it differs; an unset or empty
 * expected secret never matches, so a missing variable fails closed.
 */
const encoder = new TextEncoder();

export function secretMatches(presented: string | null | undefined, expected: string | undefined): boolean {
  if (!expected || presented == null) return false;
  const a = encoder.encode(presented);
  const b = encoder.encode(expected);
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a[i] ?? 0) ^ b[i]!;
  return diff === 0;
}

export function bearerToken(request: Request): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get("authorization") ?? "");
  return match ? match[1]! : null;
}
