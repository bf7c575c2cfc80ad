/**
 * POST sgtm-containers (body already validated by body.ts): reserve in one transaction (container,
 * ports, subscription, sites, domains, idempotency key), provision outside any
 * transaction, then activate and push the config to the edge, or undo.
 */
import type postgres from "postgres";
import { HttpError } from "../../../src/shared/errors.ts";
import { failContainer } from "../_shared/fail-container.ts";
import type { CreateContainerRequest } from "./body.ts";
import { type Provisioner, provision } from "./provisioner.ts";
import { siteBody } from "./site-body.ts";
import {
  activateContainer,
  canManage,
  clientRole,
  type ReservedContainer,
  reserveContainer,
} from "./store.ts";
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  hashRequest,
  IDEMPOTENCY_KEY_RE,
  releaseIdempotencyKey,
} from "./idempotency.ts";

const IDEMPOTENCY_SCOPE = "sgtm-containers.create";

export interface CreateContainerDeps {
  sql: postgres.Sql;
  provisioner: Provisioner;
  /** Parent domain of generated edge hostnames (EDGE_HOSTNAME_ZONE). */
  edgeZone: string;
  /** Plan of a new container's subscription (DEFAULT_PLAN_ID). */
  planId: string;
  /** Pushes the container's config to the edge; a failure is logged, the outbox retries it. */
  sync(containerId: string): Promise<unknown>;
}

export interface Created {
  status: number;
  body: unknown;
}

export async function createContainer(
  deps: CreateContainerDeps,
  userId: string,
  request: CreateContainerRequest,
  idempotencyKey: string | null,
): Promise<Created> {
  if (idempotencyKey !== null && !IDEMPOTENCY_KEY_RE.test(idempotencyKey)) {
    throw new HttpError(400, {
      error: "invalid_idempotency_key",
      message: "Idempotency-Key must be 1-255 visible ASCII characters",
    });
  }
  if (!canManage(await clientRole(deps.sql, request.clientId, userId))) {
    throw new HttpError(403, { error: "forbidden", message: "only an owner or admin of the client may create containers" });
  }
  const key = idempotencyKey === null
    ? null
    : { userId, scope: IDEMPOTENCY_SCOPE, key: idempotencyKey, requestHash: await hashRequest(request) };

  const reserved = await deps.sql.begin(async (tx) => {
    if (key) {
      const claim = await claimIdempotencyKey(tx, key);
      if (claim.state === "replay") return claim;
      if (claim.state === "reused") {
        throw new HttpError(422, {
          error: "idempotency_key_reused",
          message: "this Idempotency-Key was used with another body",
        });
      }
      if (claim.state === "in_progress") {
        throw new HttpError(409, {
          error: "idempotency_key_in_progress",
          message: "a request with this Idempotency-Key is still running",
        });
      }
    }
    const reservation = await reserveContainer(tx, { request, userId, edgeZone: deps.edgeZone, planId: deps.planId });
    if (reservation.ok) return { state: "reserved" as const, container: reservation.container };
    if (reservation.error === "no_ports") {
      throw new HttpError(503, { error: "no_ports", message: "no free ports in the pool" });
    }
    throw domainTaken(reservation.domain);
  });
  if (reserved.state === "replay") return { status: reserved.status, body: reserved.body };

  const container = reserved.container;
  const provisioned = await provision(deps.provisioner, {
    container_id: container.id,
    ports: container.ports,
    hostnames: [container.edge_hostname, ...container.sites.map((site) => site.primary_host)],
    origin_secret: container.origin_secret,
  });
  if (!provisioned.ok) {
    console.error(`sgtm-containers: provisioning ${container.id} failed: ${provisioned.reason}`);
    await deps.sql.begin(async (tx) => {
      await failContainer(tx, container.id);
      if (key) await releaseIdempotencyKey(tx, key);
    });
    throw new HttpError(502, {
      error: "provisioner_failed",
      message: "the infrastructure provisioner did not provision the container; nothing was kept",
      container_id: container.id,
    });
  }

  const sites = await Promise.all(container.sites.map(siteBody));
  const body = await deps.sql.begin(async (tx) => {
    const configVersion = await activateContainer(tx, container.id, provisioned.origin);
    const created = createdBody(container, configVersion, sites);
    if (key) await completeIdempotencyKey(tx, key, 201, created);
    return created;
  });
  try {
    await deps.sync(container.id);
  } catch (error) {
    console.error(`sgtm-containers: first sync of ${container.id} failed, the outbox retries it`, error);
  }
  return { status: 201, body };
}

function domainTaken(domain: string): HttpError {
  return new HttpError(409, { error: "domain_taken", message: `${domain} is verified for another container`, domain });
}

function createdBody(container: ReservedContainer, configVersion: number, sites: unknown[]) {
  return {
    container: {
      id: container.id,
      status: "active",
      config_version: configVersion,
      loader_token: container.loader_token,
      edge_hostname: container.edge_hostname,
      sites,
    },
  };
}
