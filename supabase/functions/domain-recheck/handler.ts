/**
 * POST domain-recheck (service role), nightly: re-check every verified
 * hostname's routing record, lapse the ones elsewhere 3 times in a row, expire
 * week-old pending claims (recheck.ts). Answers what it found.
 */
import { isServiceRoleCaller, json, requireMethod, unauthorized } from "../_shared/http.ts";
import { type RecheckDeps, recheckDomains } from "./recheck.ts";

export async function domainRecheck(request: Request, deps: () => RecheckDeps): Promise<Response> {
  requireMethod(request, "POST");
  if (!isServiceRoleCaller(request)) throw unauthorized();
  return json(await recheckDomains(deps()));
}
