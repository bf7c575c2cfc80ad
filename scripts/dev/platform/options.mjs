// Options of `npm start`, from flags first, then env:
//   --headless             QAXAL_HEADLESS=1         no banner; progress lines only, `ready <local.json>` at the end
//   --ports fixed|random   QAXAL_PORTS              fixed: the defaults below; random: free ports
//   --data-dir DIR         QAXAL_DATA_DIR           default .data (PGlite, wrangler state, key, logs, local.json)
//   --jobs-every SECONDS   QAXAL_JOBS_EVERY         scheduled jobs interval, default 60
import { resolve } from "node:path";

export const DEFAULT_PORTS = { edge: 8787, functions: 54321, database: 54322, provisioner: 54330, sgtm: 9100, dashboard: 8790, site: 8791, rest: 54323 };
export const USAGE = "usage: npm start -- [--headless] [--ports fixed|random] [--data-dir DIR] [--jobs-every SECONDS]";

/** Pure: argv + env -> options; throws with the usage line on anything unknown. */
export function parseStartOptions(argv, env, cwd) {
  const options = {
    headless: env.QAXAL_HEADLESS === "1",
    ports: env.QAXAL_PORTS ?? "fixed",
    dataDir: env.QAXAL_DATA_DIR ?? ".data",
    jobsEverySeconds: Number(env.QAXAL_JOBS_EVERY ?? 60),
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return next;
    };
    if (flag === "--headless") options.headless = true;
    else if (flag === "--ports") options.ports = value();
    else if (flag === "--data-dir") options.dataDir = value();
    else if (flag === "--jobs-every") options.jobsEverySeconds = Number(value());
    else throw new Error(`unknown argument ${flag}\n${USAGE}`);
  }
  if (options.ports !== "fixed" && options.ports !== "random") throw new Error(`--ports must be fixed or random\n${USAGE}`);
  if (!Number.isFinite(options.jobsEverySeconds) || options.jobsEverySeconds < 1) {
    throw new Error(`--jobs-every must be a number of seconds >= 1\n${USAGE}`);
  }
  return { ...options, dataDir: resolve(cwd, options.dataDir) };
}

/** Where each piece of local state lives under the data directory. */
export function dataPaths(dataDir) {
  return {
    pglite: `${dataDir}/pglite`,
    wrangler: `${dataDir}/wrangler`,
    signingKey: `${dataDir}/local-auth/es256-signing-key.json`,
    secrets: `${dataDir}/local-secrets.json`,
    logs: `${dataDir}/logs`,
    localJson: `${dataDir}/local.json`,
    pids: `${dataDir}/pids.json`,
    sameOrigin: `${dataDir}/same-origin`,
  };
}
