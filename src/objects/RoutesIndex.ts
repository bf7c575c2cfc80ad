/**
 * One shard of the authority for routing keys (src/bindings/routes-index.ts): each `host:`,
 * `loader:` or `site:` key belongs to one container at most. Read only on a cache miss
 * (isolate memory, then KV), written only when a config is applied or deleted.
 */
import { DurableObject } from "cloudflare:workers";
import type { ClaimResult } from "../bindings/protocol";
import type { RouteEntry, RouteKey } from "../shared/routing-keys";
import { sqlTag, type Sql } from "./sql";

type RouteRow = { key: string; container_id: string; site_id: string | null };

export class RoutesIndex extends DurableObject<Env> {
  private readonly sql: Sql;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = sqlTag(ctx.storage);
    this.sql`CREATE TABLE IF NOT EXISTS routes (
      key TEXT PRIMARY KEY, container_id TEXT NOT NULL, site_id TEXT)`;
    this.sql`CREATE INDEX IF NOT EXISTS routes_by_container ON routes (container_id)`;
  }

  /** The first of `keys` another container owns here, if any. */
  conflict(containerId: string, keys: RouteKey[]): { key: RouteKey; owner: string } | null {
    for (const key of keys) {
      const [owner] = this.sql<RouteRow>`SELECT container_id FROM routes WHERE key = ${key}`;
      if (owner && owner.container_id !== containerId) return { key, owner: owner.container_id };
    }
    return null;
  }

  /** Replaces the container's keys in this shard with `entries` atomically; nothing changes on a conflict. */
  claim(containerId: string, entries: RouteEntry[]): ClaimResult {
    return this.ctx.storage.transactionSync(() => {
      for (const entry of entries) {
        const [owner] = this.sql<RouteRow>`SELECT container_id FROM routes WHERE key = ${entry.key}`;
        if (owner && owner.container_id !== containerId) {
          return { ok: false, key: entry.key, owner: owner.container_id } as const;
        }
      }
      const wanted = new Set<string>(entries.map((entry) => entry.key));
      const released = this.sql<RouteRow>`SELECT key FROM routes WHERE container_id = ${containerId}`
        .map((row) => row.key as RouteKey)
        .filter((key) => !wanted.has(key));
      for (const key of released) this.sql`DELETE FROM routes WHERE key = ${key}`;
      for (const entry of entries) {
        this.sql`INSERT INTO routes (key, container_id, site_id) VALUES (${entry.key}, ${containerId}, ${entry.site_id ?? null})
          ON CONFLICT (key) DO UPDATE SET site_id = excluded.site_id`;
      }
      return { ok: true, released } as const;
    });
  }

  release(containerId: string): RouteKey[] {
    const keys = this.sql<RouteRow>`DELETE FROM routes WHERE container_id = ${containerId} RETURNING key`;
    return keys.map((row) => row.key as RouteKey);
  }

  lookup(key: RouteKey): RouteEntry | null {
    const [row] = this.sql<RouteRow>`SELECT key, container_id, site_id FROM routes WHERE key = ${key}`;
    if (!row) return null;
    return row.site_id
      ? { key, container_id: row.container_id, site_id: row.site_id }
      : { key, container_id: row.container_id };
  }

  containers(): string[] {
    return this.sql<{ container_id: string }>`SELECT DISTINCT container_id FROM routes ORDER BY container_id`.map(
      (row) => row.container_id,
    );
  }
}
