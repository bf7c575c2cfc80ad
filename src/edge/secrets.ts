/** Constant-time comparison of a presented secret with the expected one (hashed first: equal lengths). */
const encoder = new TextEncoder();

export async function secretsEqual(presented: string | null, expected: string | undefined): Promise<boolean> {
  if (!presented || !expected) return false;
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(presented)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}

export function bearerToken(request: Request): string | null {
  const header = request.headers.get("Authorization");
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1] ?? null;
}
