import { getDb } from "../_shared/db.ts";
import { handleErrors } from "../_shared/http.ts";
import { sessionDetections } from "./handler.ts";

export default {
  fetch: (request: Request) => handleErrors("session-detections", () => sessionDetections(request, getDb())),
} satisfies Deno.ServeDefaultExport;
