// JSON over node:http for the local servers (stand-ins, the local DNS server's records API).

/** The request body parsed as JSON; undefined when empty. Throws on bad JSON (callers answer 400). */
export async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? JSON.parse(text) : undefined;
}

export function respondJson(res, status, body) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
