/** Durable Object stubs, named in one place: one object per container, one routes index. */

const ROUTES_INDEX_NAME = "global";

export function containerStub(env: Env, containerId: string) {
  return env.CONTAINER.get(env.CONTAINER.idFromName(containerId));
}

export function routesIndex(env: Env) {
  return env.ROUTES.get(env.ROUTES.idFromName(ROUTES_INDEX_NAME));
}
