/**
 * The real local DNS server (scripts/dev/dns/server.mjs, dns2 under Node) for
 * control-plane tests: started as its own process, records written over its
 * HTTP interface, queried by the functions through env DNS_RESOLVER.
 */
export interface LocalDns {
  /** `host:port` for DNS_RESOLVER. */
  address: string;
  add(name: string, type: string, value: string): Promise<void>;
  remove(name: string, type?: string): Promise<void>;
  close(): Promise<void>;
}

const SERVER = new URL("../../scripts/dev/dns/server.mjs", import.meta.url);

export async function startLocalDns(): Promise<LocalDns> {
  const child = new Deno.Command("node", { args: [SERVER.pathname], stdout: "piped", stderr: "inherit" }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  while (!output.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`local DNS server exited before it was ready: ${output}`);
    output += value;
  }
  const ready = /^ready (\{.*\})/m.exec(output);
  if (!ready) throw new Error(`local DNS server said: ${output}`);
  const { dns, http } = JSON.parse(ready[1]!) as { dns: string; http: string };
  const call = async (method: string, body: unknown) => {
    const response = await fetch(`${http}/records`, { method, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`local DNS ${method}: ${response.status} ${await response.text()}`);
    await response.body?.cancel();
  };
  return {
    address: dns,
    add: (name, type, value) => call("POST", { name, type, value }),
    remove: (name, type) => call("DELETE", { name, ...(type ? { type } : {}) }),
    async close() {
      child.kill("SIGTERM");
      await reader.cancel();
      await child.status;
    },
  };
}
