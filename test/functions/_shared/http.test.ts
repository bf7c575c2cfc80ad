/**
 * readJsonBody reads at most MAX_JSON_BODY_BYTES: a body over it answers 413
 * payload_too_large, decided from Content-Length or by counting a streamed body;
 * a body of exactly the bound is still read and parsed (the positive control).
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { z } from "zod";
import { handleErrors, json, MAX_JSON_BODY_BYTES, readJsonBody } from "../../../supabase/functions/_shared/http.ts";

const schema = z.strictObject({ detections: z.array(z.unknown()) });
const JSON_TEXT = '{"detections":[]}';

/** JSON_TEXT padded with insignificant whitespace to `bytes` bytes. */
function paddedBody(bytes: number): string {
  return JSON_TEXT + " ".repeat(bytes - JSON_TEXT.length);
}

/** A body as a client sends it: with its Content-Length. */
function declared(text: string): [string, HeadersInit] {
  return [text, { "content-length": String(new TextEncoder().encode(text).length) }];
}

/** The same bytes without Content-Length, in chunks of at most 16 KB. */
function streamed(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset += 16 * 1024));
    },
  });
}

async function answer(body: BodyInit, headers: HeadersInit = {}): Promise<[number, unknown]> {
  const request = new Request("http://functions.test/fn", { method: "POST", body, headers });
  const response = await handleErrors("http.test", async () => json(await readJsonBody(request, schema)));
  return [response.status, await response.json()];
}

const tooLarge = [413, { error: "payload_too_large", message: "body over 256 KB", max_bytes: MAX_JSON_BODY_BYTES }];

Deno.test("readJsonBody: a body of exactly the bound is parsed (Content-Length)", async () => {
  assertEquals(await answer(...declared(paddedBody(MAX_JSON_BODY_BYTES))), [200, { detections: [] }]);
});

Deno.test("readJsonBody: one byte over the bound is 413 payload_too_large (Content-Length)", async () => {
  assertEquals(await answer(...declared(paddedBody(MAX_JSON_BODY_BYTES + 1))), tooLarge);
});

Deno.test("readJsonBody: Content-Length decides before any byte is read", async () => {
  assertEquals(await answer(JSON_TEXT, { "content-length": String(MAX_JSON_BODY_BYTES + 1) }), tooLarge);
});

Deno.test("readJsonBody: a streamed body is counted: at the bound parsed, over it 413", async () => {
  assertEquals(await answer(streamed(paddedBody(MAX_JSON_BODY_BYTES))), [200, { detections: [] }]);
  assertEquals(await answer(streamed(paddedBody(MAX_JSON_BODY_BYTES + 1))), tooLarge);
});

Deno.test("readJsonBody: not JSON and not UTF-8 are 400 invalid_body", async () => {
  const notJson = [400, { error: "invalid_body", message: "body must be JSON" }];
  assertEquals(await answer("{"), notJson);
  assertEquals(await answer(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d])), notJson);
});
