import { getDb } from "../_shared/db.ts";
import { edgeAdminFromEnv } from "../_shared/edge-admin.ts";
import { handleErrors } from "../_shared/http.ts";
import { billingUsage } from "./handler.ts";

export default {
  fetch: (request: Request) => handleErrors("billing-usage", () => billingUsage(request, getDb(), edgeAdminFromEnv)),
} satisfies Deno.ServeDefaultExport;
