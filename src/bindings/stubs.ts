/** Durable Object stubs, named in one place: one object per container, the routing index's shards. */

export function containerStub(env: Env, containerId: string) {
  return env.CONTAINER.get(env.CONTAINER.idFromName(containerId));
}

/** Shard `n` of the routing index (src/bindings/routes-index.ts). */
export function routesShard(env: Env, n: number) {
  return env.ROUTES.get(env.ROUTES.idFromName(`shard-${n}`));
}
