/**
 * One adblock/ITP detection of a loader session: what the browser reports to
 * POST /mark-session-detection and what the edge delivers to the control plane's
 * `session-detections` sink (which adds the site and the time of the report).
 */
import { z } from "zod";
import { urlSafeTokenSchema } from "./edge-config.ts";

export const sessionDetectionSchema = z.strictObject({
  loader_token: urlSafeTokenSchema,
  session_id: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, "must be 8-64 url-safe characters"),
  adblock: z.boolean(),
  itp: z.boolean(),
  site_id: z.guid().nullable().optional(),
  detected_at: z.iso.datetime({ offset: true }).optional(),
});

/** The browser's report: the four fields the loader sends, nothing else. */
export const browserDetectionSchema = sessionDetectionSchema.pick({
  loader_token: true,
  session_id: true,
  adblock: true,
  itp: true,
});

export type SessionDetection = z.output<typeof sessionDetectionSchema>;
