// Memory of the Worker under `wrangler dev`: the isolate's V8 heap, read through wrangler's
// DevTools endpoint (Runtime.getHeapUsage; needs a WebSocket client: Node 22, or Node 20 with
// --experimental-websocket, which scripts/test-reliability.mjs passes), and the resident
// memory of the workerd processes in wrangler's process group (/proc).
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/**
 * A DevTools session on the isolate: `heapBytes()` is its used V8 heap, `close()` ends it.
 * Open it once, before any traffic: wrangler reloads the Worker when DevTools connects (a
 * fresh isolate, its memory and leases gone), so a connection per reading would restart it
 * each time. Null when no WebSocket client is available.
 */
export async function openHeapProbe(inspectorPort) {
  if (typeof WebSocket === "undefined") return null;
  const [target] = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json();
  // wrangler's inspector accepts local DevTools origins only.
  const socket = new WebSocket(target.webSocketDebuggerUrl, { headers: { origin: "http://localhost" } });
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error(`no DevTools connection on port ${inspectorPort}`));
  });
  const waiting = new Map();
  let id = 0;
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    waiting.get(message.id)?.(message.result);
    waiting.delete(message.id);
  };
  return {
    heapBytes() {
      const call = ++id;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("Runtime.getHeapUsage: no answer within 5 s")), 5_000);
        waiting.set(call, (result) => {
          clearTimeout(timer);
          resolve(result.usedSize);
        });
        socket.send(JSON.stringify({ id: call, method: "Runtime.getHeapUsage" }));
      });
    },
    close: () => socket.close(),
  };
}

/**
 * Resident memory (bytes) of the workerd processes in process group `groupPid`: `runtime`, the
 * one running the Worker and its objects (it holds the state directory's files open), and
 * `proxy`, wrangler's own front process; `runtimePid` changes when wrangler reloads the Worker.
 */
export function workerdMemory(groupPid) {
  const found = { runtime: 0, proxy: 0, runtimePid: null };
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid pgrp ..."
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const [, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(pgrp) !== groupPid || !readFileSync(`/proc/${entry}/cmdline`, "utf8").includes("workerd")) continue;
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${entry}/status`, "utf8"));
      const bytes = rss ? Number(rss[1]) * 1024 : 0;
      const holdsState = readdirSync(`/proc/${entry}/fd`).some((fd) => {
        try {
          return readlinkSync(`/proc/${entry}/fd/${fd}`).includes("/v3/");
        } catch {
          return false;
        }
      });
      if (holdsState) Object.assign(found, { runtime: bytes, runtimePid: Number(entry) });
      else found.proxy += bytes;
    } catch {
      // gone meanwhile
    }
  }
  return found;
}
