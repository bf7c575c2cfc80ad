#!/usr/bin/env node
// A real SMTP listener on loopback (npm smtp-server) that keeps every message it accepts, for
// the alerts' email locally (`npm start` points SMTP_URL at it) and in tests. No mail leaves
// the machine. Next to it a small HTTP server shows what arrived:
//   GET /__standin/messages      every message, oldest first: {from, to, subject, text, headers, at}
//   DELETE /__standin/messages   forget them
// Runs under Node (npm start) and Deno (test/functions, through the functions' import map).
// CLI: node scripts/dev/standins/smtp.mjs [--port 2525] [--http-port 2526]
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { SMTPServer } from "smtp-server";

const MAX_MESSAGE_BYTES = 1024 * 1024;
const MAX_MESSAGES = 1000;

/** Headers (lower-cased, unfolded) and the decoded text body of one RFC 5322 message. */
export function parseMessage(raw) {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split === -1 ? raw : raw.slice(0, split);
  const body = split === -1 ? "" : raw.slice(split).replace(/^\r?\n\r?\n/, "");
  const headers = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const at = line.indexOf(":");
    if (at > 0) headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
  }
  const encoding = (headers["content-transfer-encoding"] ?? "").toLowerCase();
  let text = body;
  if (encoding === "quoted-printable") {
    const bytes = body.replace(/=\r?\n/g, "").replace(/=([0-9A-Fa-f]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
    text = new TextDecoder().decode(Uint8Array.from(bytes, (c) => c.charCodeAt(0)));
  } else if (encoding === "base64") {
    text = new TextDecoder().decode(Uint8Array.from(atob(body.replace(/\s+/g, "")), (c) => c.charCodeAt(0)));
  }
  return { headers, text: text.replace(/\r\n/g, "\n") };
}

/**
 * Starts the listener on 127.0.0.1 (`port` 0: a free one) and its HTTP view (`httpPort`,
 * default a free one). Returns { smtpUrl, url, messages, close }; `messages` is live.
 */
export async function startSmtpStandin({ port = 0, httpPort = 0 } = {}) {
  const messages = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    size: MAX_MESSAGE_BYTES,
    logger: false,
    onData(stream, session, callback) {
      const chunks = [];
      stream.on("data", (chunk) => chunks.push(chunk));
      stream.on("end", () => {
        if (stream.sizeExceeded) return callback(Object.assign(new Error("message too large"), { responseCode: 552 }));
        const { headers, text } = parseMessage(new TextDecoder().decode(concat(chunks)));
        if (messages.length >= MAX_MESSAGES) messages.shift();
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          subject: headers.subject ?? "",
          text,
          headers,
          at: new Date().toISOString(),
        });
        callback();
      });
    },
  });
  await new Promise((resolve, reject) => {
    smtp.server.once("error", reject);
    smtp.listen(port, "127.0.0.1", resolve);
  });
  const view = createServer((req, res) => {
    const json = (status, body) => {
      res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify(body));
    };
    if (new URL(req.url ?? "/", "http://smtp.invalid").pathname !== "/__standin/messages") return json(404, { error: "not_found" });
    if (req.method === "GET") return json(200, { messages });
    if (req.method === "DELETE") return json(200, { cleared: messages.splice(0).length });
    return json(405, { error: "method_not_allowed" });
  });
  await new Promise((resolve, reject) => {
    view.once("error", reject);
    view.listen(httpPort, "127.0.0.1", resolve);
  });
  return {
    smtpUrl: `smtp://127.0.0.1:${smtp.server.address().port}`,
    url: `http://127.0.0.1:${view.address().port}`,
    messages,
    close: async () => {
      view.closeAllConnections?.();
      await new Promise((resolve) => view.close(() => resolve()));
      await new Promise((resolve) => smtp.close(() => resolve()));
    },
  };
}

function concat(chunks) {
  const out = new Uint8Array(chunks.reduce((n, chunk) => n + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

function argValue(name) {
  const at = process.argv.indexOf(name);
  return at === -1 ? undefined : process.argv[at + 1];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const standin = await startSmtpStandin({ port: Number(argValue("--port") ?? 2525), httpPort: Number(argValue("--http-port") ?? 2526) });
  console.log(`SMTP stand-in on ${standin.smtpUrl} (messages: ${standin.url}/__standin/messages)`);
  const stop = () => standin.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
