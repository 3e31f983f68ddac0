import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import http from "node:http";
import { repoRoot, skiffBin, type SkiffEnv } from "../../helpers/cli.js";

// A `skiff system service` process under test: started as the test user in
// a SkiffEnv, ready when it says where it listens, and awaited by its exit
// event (never by time).

export const dockerCli = ["/usr/local/bin/docker", "/usr/bin/docker"].find((p) => existsSync(p));
export const hasDockerPy = spawnSync("/usr/bin/python3", ["-c", "import docker"]).status === 0;
export const hasCompose = spawnSync("docker-compose", ["version"]).status === 0;

export interface ServiceProcess {
  child: ChildProcess;
  stderr(): string;
  /** Resolves once the service's stderr (everything so far) matches. */
  waitFor(pattern: RegExp): Promise<void>;
  /** Resolves with the exit code (or 128+signal). */
  exited: Promise<number>;
  stop(): Promise<number>;
}

/** Start `skiff system service ARGS`; resolves once it listens (or rejects with its stderr if it exits first). */
export function startService(env: SkiffEnv, args: string[], opts: { env?: NodeJS.ProcessEnv; command?: string[] } = {}): Promise<ServiceProcess> {
  const command = opts.command ?? [process.execPath, skiffBin, "system", "service", ...args];
  const child = spawn(command[0]!, command.slice(1), { env: { ...env.env, ...opts.env }, cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  const exited = new Promise<number>((resolve) => child.once("exit", (code, signal) => resolve(code ?? 128 + (signal === "SIGKILL" ? 9 : 15))));
  const service: ServiceProcess = {
    child,
    stderr: () => stderr,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (!pattern.test(stderr)) return false;
          child.stderr!.off("data", check);
          resolve();
          return true;
        };
        if (check()) return;
        child.stderr!.on("data", check);
        void exited.then(() => check() || reject(new Error(`the service ended before its stderr matched ${pattern}:\n${stderr}`)));
      }),
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
  return new Promise((resolve, reject) => {
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (/API listening on /.test(stderr)) resolve(service);
    });
    child.stdout!.resume();
    void exited.then((code) => reject(new Error(`skiff system service exited ${code} before listening:\n${stderr}`)));
  });
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function request(socketPath: string, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path, headers, agent: false }, (res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Run a client program to completion. */
export function runClient(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string | Buffer; cwd?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...opts.env }, cwd: opts.cwd, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin!.end(opts.input ?? "");
  });
}

/** The docker CLI pointed at a service socket, with its own config directory (its logins). */
export function dockerAt(sock: string, configDir: string): (args: string[], opts?: { input?: string | Buffer; cwd?: string; env?: NodeJS.ProcessEnv }) => ReturnType<typeof runClient> {
  return (args, opts = {}) => runClient(dockerCli!, args, { ...opts, env: { DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: configDir, ...opts.env } });
}
