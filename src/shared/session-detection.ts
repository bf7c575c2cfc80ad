/**
 * One adblock/ITP detection of a loader session: what the browser reports to
 * POST /mark-session-detection and what the edge delivers to the control plane's
 * `session-detections` sink (which adds the site and the time of the report); and the
 * body of POST /boot, the loader's other session call.
 */
import { boolean, guid, iso, object, strictObject, string } from "zod";
import type { output } from "zod";
import { urlSafeTokenSchema } from "./edge-config.ts";

export const sessionDetectionSchema = strictObject({
  loader_token: urlSafeTokenSchema,
  session_id: string().regex(/^[A-Za-z0-9_-]{8,64}$/, "must be 8-64 url-safe characters"),
  adblock: boolean(),
  itp: boolean(),
  site_id: guid().nullable().optional(),
  detected_at: iso.datetime({ offset: true }).optional(),
});

/** The browser's report: the four fields the loader sends, nothing else. */
export const browserDetectionSchema = sessionDetectionSchema.pick({
  loader_token: true,
  session_id: true,
  adblock: true,
  itp: true,
});

export type SessionDetection = output<typeof sessionDetectionSchema>;

/** POST /boot: the loader's token, the page host (X-Public-Host semantics) and the gcs it last saw. */
export const bootSchema = object({
  loader_token: urlSafeTokenSchema,
  host: string().max(253).optional(),
  gcs: string().max(8).optional(),
});
