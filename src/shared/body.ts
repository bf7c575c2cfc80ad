/**
 * Request bodies read with a bound before any byte is buffered past it (edge contract
 * section 8): `Content-Length` decides when present, otherwise bytes are counted while
 * the stream is read. Both planes map the result to their own error response.
 */

export type BodyText = { ok: true; text: string } | { ok: false; problem: "too_large" | "not_utf8" };

export async function readBoundedText(request: Request, maxBytes: number): Promise<BodyText> {
  const declared = request.headers.get("Content-Length");
  if (declared !== null && (!/^\d+$/.test(declared) || Number(declared) > maxBytes)) return { ok: false, problem: "too_large" };
  if (!request.body) return { ok: true, text: "" };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return { ok: false, problem: "too_large" };
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return { ok: true, text: new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes) };
  } catch {
    return { ok: false, problem: "not_utf8" };
  }
}
