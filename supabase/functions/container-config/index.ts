import { getDb } from "../_shared/db.ts";
import { handleErrors } from "../_shared/http.ts";
import { containerConfig } from "./handler.ts";

export default {
  fetch: (request: Request) => handleErrors("container-config", () => containerConfig(request, getDb())),
} satisfies Deno.ServeDefaultExport;
