import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { accessSync, constants, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { constants as osConstants } from "node:os";
import { HostSetupError, SkiffError, EXIT_CANNOT_INVOKE, EXIT_NOT_FOUND } from "../errors.js";
import { nativeProgram } from "../config/install.js";
import { formatMap, type IdMapping } from "./mapping.js";
import { explainUserNamespaceBlock } from "./sysctl.js";

// The pause process keeps skiff's user and mount namespaces alive between
// CLI invocations (DESIGN.md §3). Creating, mapping and joining it is done by
// native/skiff-ns (setns needs a single-threaded caller); this class decides
// the arguments and turns the helper's status line into a SkiffError.

export interface SpawnInNamespaceOptions {
  stdio?: StdioOptions;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The command is killed when this process dies (a foreground command, not a monitor). */
  dieWithParent?: boolean;
}

/** Find an executable on $PATH, as execvp would. */
export function which(name: string, path = process.env.PATH ?? ""): string | undefined {
  for (const dir of path.split(":")) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {
      /* keep looking */
    }
  }
  return undefined;
}

export class UserNamespace {
  readonly pidFile: string;
  private warned = false;

  constructor(
    readonly runRoot: string,
    readonly mapping: IdMapping,
    private readonly user: string,
    /** Told once, when the namespace is created with a single-id mapping. */
    private readonly warn: (message: string) => void = () => {},
  ) {
    this.pidFile = join(runRoot, "pause.pid");
  }

  /** The pid of a live pause process, or undefined. */
  livePid(): number | undefined {
    try {
      const [pid, start] = readFileSync(this.pidFile, "utf8").trim().split(/\s+/);
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] === "Z" || fields[0] === "X") return undefined;
      return fields[19] === start ? Number(pid) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Arguments for skiff-ns that create the pause process when needed. */
  private helperArgs(): string[] {
    const args = ["--pidfile", this.pidFile];
    if (this.livePid() !== undefined) return args;
    args.push("--uidmap", formatMap(this.mapping.uidMap), "--gidmap", formatMap(this.mapping.gidMap));
    if (this.mapping.needsHelpers) {
      const uidHelper = which("newuidmap");
      const gidHelper = which("newgidmap");
      if (!uidHelper || !gidHelper)
        throw new HostSetupError(
          `${!uidHelper ? "newuidmap" : "newgidmap"} not found in $PATH: it is needed to map your subordinate ids`,
          "install the uidmap package (e.g. sudo apt-get install uidmap), or ask your administrator to",
        );
      args.push("--newuidmap", uidHelper, "--newgidmap", gidHelper);
    }
    if (this.mapping.singleId && !this.warned) {
      this.warned = true;
      this.warn(
        `no subordinate ids for ${this.user} in /etc/subuid and /etc/subgid: using a single-id mapping; ` +
          `files owned by other users in images will belong to you`,
      );
    }
    return args;
  }

  /**
   * Run `cmd` inside the namespace (as uid 0 there). The returned promise
   * settles once the helper reports the namespace ready (or fails with a
   * SkiffError); the child is then running the command.
   */
  spawn(cmd: string[], opts: SpawnInNamespaceOptions = {}): { child: ChildProcess; ready: Promise<number> } {
    const args = [...this.helperArgs(), ...(opts.dieWithParent ? ["--die-with-parent"] : []), "--status-fd", "3", "--", ...cmd];
    const stdio = (opts.stdio ?? "inherit") as StdioOptions;
    const base: StdioOptions = Array.isArray(stdio) ? stdio : [stdio, stdio, stdio];
    const full = [...(base as unknown[]).slice(0, 3), "pipe", ...(base as unknown[]).slice(4)] as StdioOptions;
    const child = spawn(nativeProgram("skiff-ns"), args, { stdio: full, env: opts.env ?? process.env, cwd: opts.cwd });
    const status = child.stdio[3]!;
    const ready = new Promise<number>((resolve, reject) => {
      let text = "";
      status.on("data", (d: Buffer) => (text += d.toString()));
      status.on("end", () => {
        // "ok" is written just before exec; a failed exec adds an error line after it.
        const lines = text.split("\n").filter(Boolean);
        const line = lines[lines.length - 1] ?? "";
        if (line.startsWith("ok ")) resolve(Number(line.slice(3)));
        else if (line.startsWith("error ")) reject(this.toError(line));
        else reject(new SkiffError(`skiff-ns ended without a status (${line || "no output"})`));
      });
      child.on("error", (e) => reject(new SkiffError(`cannot start ${nativeProgram("skiff-ns")}: ${e.message}`, {
        hint: "run `npm run build` in skiff's directory to build the native helpers",
      })));
    });
    return { child, ready };
  }

  /**
   * Run `cmd` inside the namespace and return its exit status. While it runs
   * in the foreground this process only waits: the terminal's SIGINT and
   * SIGQUIT reach the child directly (same process group), SIGTERM and
   * SIGHUP sent to us alone are passed on.
   */
  async run(cmd: string[], opts: SpawnInNamespaceOptions = {}): Promise<number> {
    const { child, ready } = this.spawn(cmd, { dieWithParent: true, ...opts });
    const ignore = () => {};
    const pass = (sig: NodeJS.Signals) => () => child.kill(sig);
    const handlers: [NodeJS.Signals, () => void][] = [
      ["SIGINT", ignore],
      ["SIGQUIT", ignore],
      ["SIGTERM", pass("SIGTERM")],
      ["SIGHUP", pass("SIGHUP")],
    ];
    for (const [sig, h] of handlers) process.on(sig, h);
    try {
      const exited = new Promise<number>((resolve) =>
        child.on("exit", (code, signal) => resolve(code ?? 128 + (signal ? signalNumber(signal) : 0))),
      );
      await ready;
      return await exited;
    } finally {
      for (const [sig, h] of handlers) process.off(sig, h);
    }
  }

  /** Run a short command inside the namespace and collect its output. */
  async exec(cmd: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const { child, ready } = this.spawn(cmd, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? 1)));
    await ready;
    return { code: await closed, stdout, stderr };
  }

  private toError(line: string): SkiffError {
    const [, kind = "", ...rest] = line.split(" ");
    const msg = rest.join(" ");
    switch (kind) {
      case "unshare":
        return new HostSetupError(`cannot create a user namespace: ${msg}`, explainUserNamespaceBlock());
      case "newuidmap":
      case "newgidmap":
        return new HostSetupError(
          `${kind} failed: ${msg}`,
          `check that /etc/sub${kind === "newuidmap" ? "uid" : "gid"} gives ${this.user} a range and that ${kind} is setuid root (sudo chmod u+s $(command -v ${kind}))`,
        );
      case "mapwrite":
        return new HostSetupError(`cannot write the namespace id map: ${msg}`, explainUserNamespaceBlock());
      case "notfound":
        return new SkiffError(msg, { code: EXIT_NOT_FOUND, hint: "check the command name and the PATH inside the namespace" });
      case "exec":
        return new SkiffError(msg, { code: EXIT_CANNOT_INVOKE });
      case "lock":
      case "pidfile":
        return new HostSetupError(`runtime directory ${this.runRoot}: ${msg}`, "check that the runtime directory is yours and writable (skiff info)");
      default:
        return new SkiffError(`cannot enter skiff's user namespace: ${msg}`, {
          hint: "kill the pause process (skiff system migrate) and try again; skiff info shows what is missing",
        });
    }
  }
}

export function signalNumber(name: NodeJS.Signals): number {
  return (osConstants.signals as Record<string, number>)[name] ?? 0;
}
