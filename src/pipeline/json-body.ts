/**
 * A JSON request body read with a bound before it is buffered (edge contract section 8,
 * src/shared/body.ts): 413 payload_too_large past `maxBytes`, 400 `error` when it is not
 * UTF-8 JSON. The routes validate the value with their schema.
 */
import { readBoundedText } from "../shared/body";
import { HttpError } from "../shared/errors";

type BodyError = "invalid_config" | "invalid_body";

export async function readJsonBody(request: Request, maxBytes: number, error: BodyError): Promise<unknown> {
  const body = await readBoundedText(request, maxBytes);
  if (!body.ok) {
    if (body.problem === "too_large") throw new HttpError(413, { error: "payload_too_large", max_bytes: maxBytes });
    throw unreadable(error, "body is not valid UTF-8");
  }
  try {
    return JSON.parse(body.text);
  } catch {
    throw unreadable(error, "body is not valid JSON");
  }
}

function unreadable(error: BodyError, message: string): HttpError {
  return new HttpError(400, { error, issues: [{ path: "(root)", message }] });
}
