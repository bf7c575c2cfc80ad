/**
 * Body of POST sgtm-containers: validation and normalisation, no I/O.
 *
 * Domains are normalised (trimmed, lower-cased, one trailing dot dropped) and
 * must then be hostnames as EdgeConfig defines them, with at least two labels
 * and outside the platform's own edge-hostname zone. `webGtmIds` is keyed by
 * domain (normalised the same way); a domain without its own id uses the first
 * domain's, which is therefore required. Optional `pathPrefixes`, keyed the same way,
 * puts a site in same-origin mode from the start (contract section 10).
 */
import { z } from "zod";
import { hostnameSchema, siteSchema } from "../../../src/shared/edge-config.ts";

export const MAX_DOMAINS = 20;
/** sGTM CONTAINER_CONFIG is a short base64 string; this bounds what we store and forward. */
export const MAX_CONTAINER_CONFIG_CHARS = 16 * 1024;

const GTM_ID_RE = /^GTM-[A-Z0-9]{4,12}$/;
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

export function normaliseHostname(input: string): string {
  return input.trim().toLowerCase().replace(/\.$/, "");
}

const domainSchema = z
  .string()
  .max(254)
  .transform(normaliseHostname)
  .pipe(hostnameSchema)
  .refine((host) => host.includes("."), "must be a fully qualified hostname");

const gtmIdSchema = z.string().trim().toUpperCase().regex(GTM_ID_RE, "must look like GTM-XXXXXX");

/** `/` + 1-32 of [A-Za-z0-9_-]: the EdgeConfig's own rule (contract section 10). */
export const pathPrefixSchema = siteSchema.shape.path_prefix.unwrap();

const containerConfigSchema = z
  .string()
  .min(1)
  .max(MAX_CONTAINER_CONFIG_CHARS, `must be at most ${MAX_CONTAINER_CONFIG_CHARS} characters`)
  .regex(BASE64_RE, "must be base64");

export interface SiteRequest {
  domain: string;
  webGtmId: string;
  /** Same-origin mode from the start (the site gets a forward_secret with it). */
  pathPrefix?: string;
}

export interface CreateContainerRequest {
  clientId: string;
  name: string;
  containerConfigB64: string;
  /** One per domain, in request order; the first is the container's primary site. */
  sites: SiteRequest[];
}

/** `edgeZone`: the parent domain of generated edge hostnames, which customers may not claim. */
export function createContainerBodySchema(edgeZone: string) {
  return z
    .strictObject({
      clientId: z.guid(),
      name: z.string().trim().min(1).max(100),
      domains: z
        .array(domainSchema.refine((host) => !isInZone(host, edgeZone), `must not be under ${edgeZone}`))
        .min(1)
        .max(MAX_DOMAINS),
      webGtmIds: z.record(z.string().max(254), gtmIdSchema),
      pathPrefixes: z.record(z.string().max(254), pathPrefixSchema).optional(),
      containerConfigB64: containerConfigSchema,
    })
    .transform((body, ctx): CreateContainerRequest => {
      body.domains.forEach((domain, index) => {
        if (body.domains.indexOf(domain) !== index) {
          ctx.addIssue({ code: "custom", path: ["domains", index], message: `duplicate domain ${domain}` });
        }
      });
      const ids = new Map<string, string>();
      for (const [key, id] of Object.entries(body.webGtmIds)) {
        const domain = normaliseHostname(key);
        if (!body.domains.includes(domain)) {
          ctx.addIssue({ code: "custom", path: ["webGtmIds", key], message: "is not one of domains" });
        }
        ids.set(domain, id);
      }
      const prefixes = new Map<string, string>();
      for (const [key, prefix] of Object.entries(body.pathPrefixes ?? {})) {
        const domain = normaliseHostname(key);
        if (!body.domains.includes(domain)) {
          ctx.addIssue({ code: "custom", path: ["pathPrefixes", key], message: "is not one of domains" });
        }
        prefixes.set(domain, prefix);
      }
      const first = body.domains[0]!;
      const fallback = ids.get(first);
      if (!fallback) {
        ctx.addIssue({ code: "custom", path: ["webGtmIds", first], message: "the first domain needs a GTM id" });
      }
      return {
        clientId: body.clientId.toLowerCase(),
        name: body.name,
        containerConfigB64: body.containerConfigB64,
        sites: body.domains.map((domain) => ({
          domain,
          webGtmId: ids.get(domain) ?? fallback ?? "",
          ...(prefixes.has(domain) ? { pathPrefix: prefixes.get(domain) } : {}),
        })),
      };
    });
}

function isInZone(host: string, zone: string): boolean {
  return host === zone || host.endsWith(`.${zone}`);
}

/**
 * Cookie domain of a site: the host without a leading `www.` (so www.example.com
 * and example.com share first-party cookies), else the host itself. Without a
 * public-suffix list we never go higher than that.
 */
export function cookieDomainFor(host: string): string {
  const bare = host.startsWith("www.") ? host.slice(4) : host;
  return bare.includes(".") ? bare : host;
}
