import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from "node:fs";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { startTokenServer, type Policy, type TokenServer } from "./token-server.js";

// A real registry for tests: Debian's docker-registry (distribution 2.8) on
// 127.0.0.1, run as the current user with its storage and config in a
// temporary directory. Three modes: no auth, htpasswd Basic auth, and token
// auth against ./token-server.ts. Plus a proxy that misbehaves on request,
// for the tests of bad networks and bad registries.
//
//   const reg = await startRegistry({ auth: "token", users: { alice: "secret" } });
//   … new RegistryClient(reg.host, { credentials: { username: "alice", password: "secret" } }) …
//   await reg.stop();

export const REGISTRY_BIN = "/usr/bin/docker-registry";

export interface RegistryOptions {
  auth?: "none" | "htpasswd" | "token";
  /** username → password (htpasswd and token modes). */
  users?: Record<string, string>;
  /** Token mode: what each subject may do (default: anonymous pull, users everything). */
  policy?: Policy;
  tokenExpiresIn?: number;
  refreshTokens?: Record<string, string>;
}

export interface TestRegistry {
  /** "127.0.0.1:PORT" */
  host: string;
  /** "http://127.0.0.1:PORT" */
  url: string;
  dir: string;
  tokenServer?: TokenServer;
  /** The registry's own log, for failing tests. */
  log(): string;
  stop(): Promise<void>;
}

export const TOKEN_SERVICE = "skiff-test-registry";
export const TOKEN_ISSUER = "skiff-test-issuer";

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

function htpasswdLines(users: Record<string, string>): string {
  return Object.entries(users)
    .map(([u, p]) => execFileSync("htpasswd", ["-Bbn", u, p], { encoding: "utf8" }).trim())
    .join("\n");
}

async function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(`${url}/v2/`, (res) => {
      res.resume();
      resolve(res.statusCode === 200 || res.statusCode === 401);
    });
    req.on("error", () => resolve(false));
    req.setTimeout(1000, () => req.destroy());
  });
}

export async function startRegistry(opts: RegistryOptions = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), "skiff-registry-"));
  mkdirSync(join(dir, "storage"));
  let tokenServer: TokenServer | undefined;
  let auth: Record<string, unknown> | undefined;
  if (opts.auth === "htpasswd") {
    writeFileSync(join(dir, "htpasswd"), `${htpasswdLines(opts.users ?? {})}\n`);
    auth = { htpasswd: { realm: "skiff-test", path: join(dir, "htpasswd") } };
  } else if (opts.auth === "token") {
    tokenServer = await startTokenServer(dir, {
      service: TOKEN_SERVICE,
      issuer: TOKEN_ISSUER,
      users: opts.users ?? {},
      policy: opts.policy,
      expiresIn: opts.tokenExpiresIn,
      refreshTokens: opts.refreshTokens,
    });
    auth = { token: { realm: tokenServer.realm, service: TOKEN_SERVICE, issuer: TOKEN_ISSUER, rootcertbundle: tokenServer.certPath } };
  }
  const logPath = join(dir, "registry.log");
  let child: ChildProcess | undefined;
  let lastError = "";
  for (let tries = 0; tries < 5 && !child; tries++) {
    const port = await freePort();
    // JSON is YAML: the registry reads this file as its config.
    const config = {
      version: 0.1,
      log: { level: "info", accesslog: { disabled: true } },
      storage: {
        filesystem: { rootdirectory: join(dir, "storage") },
        delete: { enabled: true },
        maintenance: { uploadpurging: { enabled: false } },
      },
      http: { addr: `127.0.0.1:${port}`, secret: "skiff-test-secret" },
      health: { storagedriver: { enabled: false } },
      ...(auth ? { auth } : {}),
    };
    writeFileSync(join(dir, "config.yml"), JSON.stringify(config, null, 2));
    const fd = openSync(logPath, "a");
    const proc = spawn(REGISTRY_BIN, ["serve", join(dir, "config.yml")], { stdio: ["ignore", fd, fd], cwd: dir });
    closeSync(fd);
    let exited = false;
    proc.on("exit", () => (exited = true));
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 15_000;
    while (!exited && Date.now() < deadline && !(await answers(url))) await sleep(25);
    if (!exited && (await answers(url))) {
      child = proc;
      // A test worker that dies without stop() must not leave a registry behind.
      const reap = () => proc.kill("SIGKILL");
      process.once("exit", reap);
      const stop = async () => {
        process.off("exit", reap);
        if (proc.exitCode === null && proc.signalCode === null) {
          const gone = new Promise((r) => proc.once("exit", r));
          proc.kill("SIGTERM");
          await Promise.race([gone, sleep(3000).then(() => proc.kill("SIGKILL"))]);
        }
        await tokenServer?.stop();
        rmSync(dir, { recursive: true, force: true });
      };
      return { host: `127.0.0.1:${port}`, url, dir, tokenServer, log: () => readFileSync(logPath, "utf8"), stop };
    }
    proc.kill("SIGKILL");
    lastError = readFileSync(logPath, "utf8").slice(-2000);
  }
  await tokenServer?.stop();
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`docker-registry did not start:\n${lastError}`);
}

// ---------------------------------------------------------------------------
// The misbehaving registry: a proxy in front of a real one that, for the
// requests a fault matches, corrupts or cuts the body, drops or stalls the
// connection, or answers by itself (a status, a bad challenge, anything).

export interface Fault {
  method?: string;
  /** Matched against the request path (with query). */
  path?: RegExp;
  /** How many matching requests it hits; unlimited when absent. */
  times?: number;
  kind: "corrupt" | "truncate" | "drop" | "stall" | "reset" | "status" | "challenge" | "respond";
  /** corrupt: flip this byte; truncate/drop/stall: act after this many body bytes. Default 0. */
  afterBytes?: number;
  /** status: the status to answer (default 500), with these headers. */
  status?: number;
  headers?: Record<string, string>;
  /** challenge: the WWW-Authenticate value of a 401. */
  challenge?: string;
  respond?: (req: http.IncomingMessage, res: http.ServerResponse) => void;
}

export interface ProxyLogEntry {
  method: string;
  path: string;
  range?: string;
  authorized: boolean;
  fault?: Fault["kind"];
}

export interface FaultyProxy {
  host: string;
  url: string;
  faults: Fault[];
  log: ProxyLogEntry[];
  stop(): Promise<void>;
}

function pickFault(faults: Fault[], req: http.IncomingMessage): Fault | undefined {
  for (const f of faults) {
    if (f.method && f.method !== req.method) continue;
    if (f.path && !f.path.test(req.url ?? "")) continue;
    if (f.times !== undefined) {
      if (f.times <= 0) continue;
      f.times--;
    }
    return f;
  }
  return undefined;
}

function answerDirectly(f: Fault, req: http.IncomingMessage, res: http.ServerResponse): void {
  req.resume();
  if (f.kind === "reset") return void req.socket.destroy();
  if (f.kind === "respond") return f.respond!(req, res);
  if (f.kind === "challenge") {
    res.writeHead(401, { "WWW-Authenticate": f.challenge ?? "", "Content-Type": "application/json" });
    res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }));
    return;
  }
  res.writeHead(f.status ?? 500, { "Content-Type": "application/json", ...f.headers });
  res.end(JSON.stringify({ errors: [{ code: "UNKNOWN", message: "injected failure" }] }));
}

/** Forward the upstream body, applying the fault to it. */
function relayBody(f: Fault | undefined, up: http.IncomingMessage, res: http.ServerResponse, stalled: Set<net.Socket>): void {
  const after = f?.afterBytes ?? 0;
  let seen = 0;
  up.on("data", (chunk: Buffer) => {
    if (!f || f.kind === "status") return void res.write(chunk);
    if (f.kind === "corrupt") {
      if (after >= seen && after < seen + chunk.length) {
        chunk = Buffer.from(chunk);
        chunk[after - seen] ^= 0xff;
      }
      seen += chunk.length;
      return void res.write(chunk);
    }
    if (seen >= after) return;
    const part = chunk.subarray(0, after - seen);
    seen += part.length;
    res.write(part);
    if (seen < after) return;
    up.destroy();
    if (f.kind === "truncate") res.end();
    else if (f.kind === "drop") res.socket?.destroy();
    else if (res.socket) stalled.add(res.socket); // stall: say nothing more, keep the socket open
  });
  up.on("end", () => {
    if (!f || f.kind === "corrupt" || seen < after) res.end();
  });
}

export async function startFaultyProxy(upstream: { host: string }, faults: Fault[] = []): Promise<FaultyProxy> {
  const log: ProxyLogEntry[] = [];
  const stalled = new Set<net.Socket>();
  const [uHost, uPort] = upstream.host.split(":");
  const server = http.createServer((req, res) => {
    const f = pickFault(faults, req);
    log.push({ method: req.method ?? "", path: req.url ?? "", range: req.headers.range, authorized: !!req.headers.authorization, fault: f?.kind });
    if (f && ["status", "challenge", "respond", "reset"].includes(f.kind)) return answerDirectly(f, req, res);
    // The Host header is passed through, so the registry's absolute
    // Location URLs point back at the proxy.
    const fwd = http.request({ host: uHost, port: Number(uPort), method: req.method, path: req.url, headers: req.headers }, (up) => {
      const headers = { ...up.headers };
      if (f?.kind === "truncate") delete headers["content-length"];
      res.writeHead(up.statusCode ?? 502, headers);
      relayBody(req.method === "HEAD" ? undefined : f, up, res, stalled);
    });
    fwd.on("error", () => res.socket?.destroy());
    req.pipe(fwd);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    faults,
    log,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of stalled) s.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
