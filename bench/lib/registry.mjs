// A throw-away registry for benchmarks: Debian's docker-registry
// (distribution) on 127.0.0.1, no auth, storage in a directory of ours.
// The same set-up as test/helpers/registry.ts, without the test extras.
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

async function freePort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

function answers(url) {
  return new Promise((resolve) => {
    const req = http.get(`${url}/v2/`, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.setTimeout(1000, () => req.destroy());
  });
}

/** Start a registry storing under `dir`: { host, url, stop() }. */
export async function startRegistry(dir) {
  mkdirSync(join(dir, "storage"), { recursive: true });
  const port = await freePort();
  const config = {
    version: 0.1,
    log: { level: "warn", accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: join(dir, "storage") }, maintenance: { uploadpurging: { enabled: false } } },
    http: { addr: `127.0.0.1:${port}`, secret: "skiff-bench-secret" },
    health: { storagedriver: { enabled: false } },
  };
  // JSON is YAML: the registry reads it as its config.
  writeFileSync(join(dir, "config.yml"), JSON.stringify(config));
  const log = join(dir, "registry.log");
  const fd = openSync(log, "a");
  const proc = spawn("/usr/bin/docker-registry", ["serve", join(dir, "config.yml")], { stdio: ["ignore", fd, fd] });
  closeSync(fd);
  const reap = () => proc.kill("SIGKILL");
  process.once("exit", reap);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  while (proc.exitCode === null && Date.now() < deadline && !(await answers(url))) await sleep(25);
  if (!(await answers(url))) {
    proc.kill("SIGKILL");
    throw new Error(`docker-registry did not start:\n${readFileSync(log, "utf8").slice(-2000)}`);
  }
  return {
    host: `127.0.0.1:${port}`,
    url,
    async stop() {
      process.off("exit", reap);
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const gone = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await Promise.race([gone, sleep(3000).then(() => proc.kill("SIGKILL"))]);
    },
  };
}
