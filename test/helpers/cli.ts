import { spawn, spawnSync, type SpawnOptions } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Runs the real `skiff` binary as the current (unprivileged) user, with its
// storage, config and runtime directories in a private temporary tree, so
// test files never share a pause process or a store.

export const repoRoot = join(import.meta.dirname, "..", "..");
export const skiffBin = join(repoRoot, "bin", "skiff.js");

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class SkiffEnv {
  readonly base: string;
  readonly env: NodeJS.ProcessEnv;

  constructor(extraEnv: NodeJS.ProcessEnv = {}) {
    this.base = mkdtempSync(join(tmpdir(), "skiff-test-"));
    for (const d of ["data", "config", "run", "work"]) mkdirSync(join(this.base, d), { mode: 0o700 });
    this.env = {
      ...process.env,
      XDG_DATA_HOME: join(this.base, "data"),
      XDG_CONFIG_HOME: join(this.base, "config"),
      XDG_RUNTIME_DIR: join(this.base, "run"),
      NODE_EXTRA_CA_CERTS: undefined,
      ...extraEnv,
    };
  }

  get storageRoot(): string {
    return join(this.base, "data", "skiff");
  }

  get runRoot(): string {
    return join(this.base, "run", "skiff");
  }

  /** Run skiff to completion. */
  run(args: string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string; timeout?: number } = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [skiffBin, ...args], {
        env: { ...this.env, ...opts.env },
        cwd: opts.cwd ?? join(this.base, "work"),
        stdio: ["pipe", "pipe", "pipe"],
      } satisfies SpawnOptions);
      let stdout = "";
      let stderr = "";
      child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
      const timer = opts.timeout
        ? setTimeout(() => {
            child.kill("SIGKILL");
            reject(new Error(`skiff ${args.join(" ")} timed out\n${stderr}`));
          }, opts.timeout)
        : undefined;
      child.on("error", reject);
      child.on("close", (code, signal) => {
        if (timer) clearTimeout(timer);
        resolve({ code: code ?? 128 + (signal === "SIGKILL" ? 9 : 15), stdout, stderr });
      });
      child.stdin!.end(opts.input ?? "");
    });
  }

  /** Run skiff and fail the test with its stderr unless it exits 0. */
  async ok(args: string[], opts: Parameters<SkiffEnv["run"]>[1] = {}): Promise<string> {
    const r = await this.run(args, opts);
    if (r.code !== 0) throw new Error(`skiff ${args.join(" ")} exited ${r.code}\n${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  /** The pause process's pid while that process lives (its start time must match the pid file's). */
  pausePid(): number | undefined {
    try {
      const [pid, start] = readFileSync(join(this.runRoot, "pause.pid"), "utf8").trim().split(/\s+/);
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] === start ? Number(pid) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Remove everything, including files owned by subordinate ids (deleted from inside the namespace). */
  cleanup(): void {
    if (this.pausePid()) {
      spawnSync(process.execPath, [skiffBin, "unshare", "rm", "-rf", "--one-file-system", join(this.base, "data"), join(this.base, "work")], {
        env: this.env,
        stdio: "ignore",
        timeout: 60_000,
      });
      try {
        process.kill(this.pausePid()!, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
    rmSync(this.base, { recursive: true, force: true });
  }
}

export const isRoot = process.getuid?.() === 0;
