/**
 * Contract section 8: bodies are bounded before they are read. /boot and
 * /mark-session-detection over 4 KB, admin config bodies over 256 KB: 413
 * payload_too_large, from Content-Length when present, else by counting bytes while
 * streaming (a body that goes on past the bound is never read to its end).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { ADMIN_TOKEN, makeConfig } from "../support/config";
import { edgeFetch, pushConfig } from "../support/edge";

afterEach(() => vi.restoreAllMocks());

/**
 * A chunked body without Content-Length: `bytes` bytes, then it never ends. Only a reader
 * that stops at the bound answers; one that reads to the end waits forever.
 */
function endlessBody(bytes: number): ReadableStream<Uint8Array> {
  let sent = false;
  return new ReadableStream({
    pull(controller) {
      if (sent) return new Promise<void>(() => undefined);
      sent = true;
      controller.enqueue(new TextEncoder().encode(`{"pad":"${"x".repeat(bytes)}`));
    },
  });
}

/** JSON under `chars` UTF-16 units but over twice as many UTF-8 bytes: only a byte count catches it. */
function multiByteJson(fields: Record<string, unknown>, chars: number): string {
  return JSON.stringify({ ...fields, pad: "é".repeat(chars) });
}

const TOO_LARGE_4K = { error: "payload_too_large", max_bytes: 4096 };
const TOO_LARGE_256K = { error: "payload_too_large", max_bytes: 256 * 1024 };

describe("/boot and /mark-session-detection: 4 KB", () => {
  const config = makeConfig("bodies");
  const host = "https://data.bodies.test";
  const detection = { loader_token: config.loader_token, session_id: "session-bodies-1", adblock: false, itp: false };

  it("decides from Content-Length: 4 KB of bytes, not of characters", async () => {
    await pushConfig(config);
    const boot = await edgeFetch(`${host}/boot`, {
      method: "POST",
      body: multiByteJson({ loader_token: config.loader_token }, 2_100),
    });
    expect(boot.status).toBe(413);
    expect(await boot.json()).toEqual(TOO_LARGE_4K);
    const report = await edgeFetch(`${host}/mark-session-detection`, { method: "POST", body: multiByteJson(detection, 2_100) });
    expect(report.status).toBe(413);
    expect(await report.json()).toEqual(TOO_LARGE_4K);
  });

  it("counts bytes of a chunked body without Content-Length and stops reading past the bound", { timeout: 3_000 }, async () => {
    await pushConfig(config);
    for (const path of ["/boot", "/mark-session-detection"]) {
      const response = await edgeFetch(`${host}${path}`, { method: "POST", body: endlessBody(5_000), duplex: "half" } as RequestInit);
      expect(response.status).toBe(413);
      expect(await response.json()).toEqual(TOO_LARGE_4K);
    }
  });

  it("a body just under the bound is read (control)", async () => {
    await pushConfig(config);
    const boot = await edgeFetch(`${host}/boot`, {
      method: "POST",
      body: multiByteJson({ loader_token: config.loader_token }, 1_900),
    });
    expect(boot.status).toBe(200);
  });
});

describe("admin config bodies: 256 KB", () => {
  const putRaw = (containerId: string, body: BodyInit) =>
    edgeFetch(`https://admin.edge.test/_edge/admin/containers/${containerId}/config`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, "Content-Type": "application/json" },
      body,
      duplex: "half",
    } as RequestInit);

  it("decides from Content-Length in bytes, and by counting a chunked body", { timeout: 3_000 }, async () => {
    const config = makeConfig("bigconfig");
    const declared = await putRaw(config.container_id, multiByteJson(config, 140_000));
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual(TOO_LARGE_256K);
    const streamed = await putRaw(config.container_id, endlessBody(300_000));
    expect(streamed.status).toBe(413);
    expect(await streamed.json()).toEqual(TOO_LARGE_256K);
  });

  it("invalid UTF-8 is a 400 naming the problem; a config under the bound applies (control)", async () => {
    const config = makeConfig("utf8config");
    const broken = await putRaw(config.container_id, new Uint8Array([0x7b, 0xff, 0x7d]));
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ error: "invalid_config", issues: [{ path: "(root)" }] });
    expect((await putRaw(config.container_id, JSON.stringify(config))).status).toBe(200);
  });
});
