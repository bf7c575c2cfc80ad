import { getDb } from "../_shared/db.ts";
import { edgeAdminFromEnv } from "../_shared/edge-admin.ts";
import { handleErrors } from "../_shared/http.ts";
import { containersEnvFromEnv, sgtmContainers } from "./handler.ts";

export default {
  fetch: (request: Request) =>
    handleErrors("sgtm-containers", () => sgtmContainers(request, getDb(), edgeAdminFromEnv, containersEnvFromEnv)),
} satisfies Deno.ServeDefaultExport;
