/** Body of POST container-domains: validation and normalisation, no I/O. */
import { z } from "zod";
import { hostnameSchema } from "../../../src/shared/edge-config.ts";

export function normaliseHostname(input: string): string {
  return input.trim().toLowerCase().replace(/\.$/, "");
}

/** `edgeZone`: the parent domain of generated edge hostnames, which customers may not claim. */
export function addDomainBodySchema(edgeZone: string) {
  return z.strictObject({
    container_id: z.guid().transform((id) => id.toLowerCase()),
    hostname: z.string().max(254).transform(normaliseHostname).pipe(hostnameSchema)
      .refine((host) => host.includes("."), "must be a fully qualified hostname")
      .refine((host) => host !== edgeZone && !host.endsWith(`.${edgeZone}`), `must not be under ${edgeZone}`),
    site_id: z.guid().transform((id) => id.toLowerCase()).optional(),
  });
}

export type AddDomainRequest = z.output<ReturnType<typeof addDomainBodySchema>>;
