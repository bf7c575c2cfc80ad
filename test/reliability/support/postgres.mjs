// A real PostgreSQL (Debian's server binaries) on a loopback port, for the reliability suite's
// "Postgres restarted under the functions" row: initdb into a temporary directory, the server
// in a process group of its own (announced for the runner), stopped with pg_ctl and started
// again on the same data and port. As root it runs as the `postgres` user (or `nobody`): the
// server refuses to run as root.
import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, spawnService, waitUntilReady } from "../../../scripts/dev/platform/processes.mjs";
import { announceGroup, forgetGroup } from "./processes.mjs";

const ROOT = "/usr/lib/postgresql";
const START_TIMEOUT_MS = 30_000;

/** The newest installed server's bin directory, or null. */
export function postgresBin() {
  if (!existsSync(ROOT)) return null;
  const versions = readdirSync(ROOT).filter((name) => existsSync(join(ROOT, name, "bin", "postgres")));
  versions.sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(ROOT, versions[0], "bin") : null;
}

/** uid/gid to run the server as: ourselves, or as root an unprivileged system user. */
function serverUser() {
  if (process.getuid?.() !== 0) return {};
  for (const name of ["postgres", "nobody"]) {
    const id = spawnSync("id", ["-u", name], { encoding: "utf8" });
    if (id.status === 0) {
      const gid = Number(execFileSync("id", ["-g", name], { encoding: "utf8" }).trim());
      return { uid: Number(id.stdout.trim()), gid };
    }
  }
  throw new Error("running as root and neither a `postgres` nor a `nobody` user exists to run PostgreSQL as");
}

/**
 * `{ url, start(), stop(), close() }`: a migrated-nothing cluster with trust auth on
 * 127.0.0.1:<port>; `url` stays the same across stop()/start().
 */
export async function startPostgres() {
  const bin = postgresBin();
  if (!bin) throw new Error(`no PostgreSQL server under ${ROOT}: apt-get install postgresql (scripts/test-reliability.mjs does when it can)`);
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), "qaxal-reliability-pg-"));
  if (user.uid !== undefined) chownSync(dir, user.uid, user.gid);
  const data = join(dir, "data");
  const run = (command, args) => execFileSync(join(bin, command), args, { ...user, stdio: "pipe", cwd: dir });
  run("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  const port = await freePort();
  let server = null;
  const start = async () => {
    server = spawnService("postgres", join(bin, "postgres"), [
      "-D", data, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1",
      "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
    ], { cwd: dir, ...user });
    announceGroup("postgres", server.pid);
    await waitUntilReady(server, "accepting connections", async () =>
      spawnSync(join(bin, "pg_isready"), ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres"]).status === 0, START_TIMEOUT_MS);
  };
  /** A fast shutdown (what a restart does): clients disconnected, the server gone. */
  const stop = async () => {
    if (!server) return;
    run("pg_ctl", ["stop", "-D", data, "-m", "fast", "-w"]);
    await server.exited;
    forgetGroup(server.pid);
    server = null;
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    async close() {
      if (server) {
        await server.stop();
        forgetGroup(server.pid);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
