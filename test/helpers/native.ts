import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { userInfo } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { nativeProgram } from "../../src/config/install.js";
import { formatRuntimeSpec, type RuntimeSpec } from "../../src/runtime/spec-file.js";
import { mappingForCurrentUser, subidFiles } from "../../src/userns/mapping.js";
import { UserNamespace } from "../../src/userns/namespace.js";
import type { SkiffEnv } from "./cli.js";

// Starts native/skiff-monitor (and through it skiff-runtime) inside a test
// environment's user namespace, the way the host will: skiff-ns joins (or
// creates) the pause process and execs the monitor, which reports on a
// status fd and serves the attach protocol on a socketpair.

/** Docker's default capability set (moby oci/caps/defaults.go). */
export const dockerDefaultCapabilities = [
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
  "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
];
/** The same set as /proc/PID/status prints it. */
export const dockerDefaultCapMask = "00000000a80425fb";

export const dockerMaskedPaths = [
  "/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
  "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
];
export const dockerReadonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

/** A spec like the one Docker gives a container (default mounts, devices, masks, caps). */
export function dockerLikeSpec(rootfs: string, args: string[], extra: Partial<RuntimeSpec> = {}): RuntimeSpec {
  return {
    rootfs,
    namespaces: [{ type: "mount" }, { type: "pid" }, { type: "uts" }, { type: "ipc" }, { type: "net" }, { type: "cgroup" }],
    hostname: "box",
    args,
    env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=box"],
    cwd: "/",
    user: { uid: 0, gid: 0 },
    umask: 0o022,
    mounts: [
      { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
      { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
      { destination: "/dev/pts", type: "devpts", source: "devpts", options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
      { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
      { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
      { destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
    ],
    devices: ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"],
    symlinks: [
      { target: "/proc/self/fd", linkPath: "/dev/fd" },
      { target: "/proc/self/fd/0", linkPath: "/dev/stdin" },
      { target: "/proc/self/fd/1", linkPath: "/dev/stdout" },
      { target: "/proc/self/fd/2", linkPath: "/dev/stderr" },
      { target: "pts/ptmx", linkPath: "/dev/ptmx" },
    ],
    maskedPaths: dockerMaskedPaths,
    readonlyPaths: dockerReadonlyPaths,
    capabilities: dockerDefaultCapabilities,
    rlimits: [{ type: "RLIMIT_NOFILE", soft: 1024, hard: 1024 }],
    noNewPrivileges: true,
    ...extra,
  };
}

/** The environment's user namespace, as the CLI would build it. */
export function nativeNamespace(env: SkiffEnv): UserNamespace {
  mkdirSync(env.runRoot, { recursive: true, mode: 0o700 });
  return new UserNamespace(env.runRoot, mappingForCurrentUser(subidFiles(env.env)), userInfo().username);
}

export interface MonitorOptions {
  dir: string;
  spec: RuntimeSpec;
  /** Write this text as the spec file instead (to test the runtime's checks). */
  specText?: string;
  /** Run the spec in this running container (skiff-runtime exec --pid). */
  execIn?: number;
  log?: boolean;
  socket?: boolean;
  /** Pass the test's end of a socketpair as --attach-fd (default true). */
  attach?: boolean;
  tty?: boolean;
  stdin?: boolean;
  detach?: boolean;
  restart?: string;
  umount?: string[];
  rmPaths?: string[];
  prestartHook?: string[];
}

export interface LogEntry {
  log: string;
  stream: "stdout" | "stderr";
  time: string;
}

export class MonitorRun {
  readonly logPath: string;
  readonly socketPath: string;
  stderr = "";

  constructor(
    readonly dir: string,
    readonly child: ChildProcess,
    /** The monitor's status line ("started PID" or "error KIND MESSAGE"). */
    readonly status: Promise<string>,
    /** Exit status of the process we spawned (skiff-ns, then the monitor). */
    readonly exited: Promise<number>,
    readonly attach: AttachClient | undefined,
  ) {
    this.logPath = join(dir, "ctr.log");
    this.socketPath = join(dir, "attach.sock");
  }

  state(name: string): string | undefined {
    try {
      return readFileSync(join(this.dir, name), "utf8");
    } catch {
      return undefined;
    }
  }

  async waitForState(name: string, timeoutMs = 10_000): Promise<string> {
    await waitUntil(() => this.state(name) !== undefined, timeoutMs, `${name} in ${this.dir}`);
    return this.state(name)!;
  }

  /** The container process's pid (host view), from the pid file. */
  containerPid(): number {
    return Number(this.state("pid")?.split(" ")[0]);
  }

  monitorPid(): number {
    return Number(this.state("monitor.pid")?.split(" ")[0]);
  }

  /** The exit code from the exit file, once it is there. */
  async exitCode(timeoutMs = 10_000): Promise<number> {
    return Number((await this.waitForState("exit", timeoutMs)).split(" ")[0]);
  }

  logEntries(): LogEntry[] {
    if (!existsSync(this.logPath)) return [];
    return readFileSync(this.logPath, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as LogEntry);
  }

  logText(stream?: "stdout" | "stderr"): string {
    return this.logEntries()
      .filter((e) => !stream || e.stream === stream)
      .map((e) => e.log)
      .join("");
  }
}

/** Run a shell script in the namespace (as uid 0 there); its status and stdout. */
export async function inNamespace(ns: UserNamespace, env: SkiffEnv, script: string): Promise<{ code: number; stdout: string }> {
  const { child, ready } = ns.spawn(["/bin/sh", "-c", script], { stdio: ["ignore", "pipe", "inherit"], env: env.env });
  let stdout = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  const code = await new Promise<number>((resolve) => child.on("close", (c) => resolve(c ?? 128)));
  await ready;
  return { code, stdout };
}

/** Spawn skiff-monitor in the namespace. The spec is written to DIR/spec. */
export function startMonitor(ns: UserNamespace, env: SkiffEnv, opts: MonitorOptions): MonitorRun {
  mkdirSync(opts.dir, { recursive: true });
  const specPath = join(opts.dir, "spec");
  writeFileSync(specPath, opts.specText ?? formatRuntimeSpec(opts.spec));
  const attach = opts.attach ?? true;
  const args = [nativeProgram("skiff-monitor"), "--dir", opts.dir, "--status-fd", "4"];
  if (opts.log ?? true) args.push("--log", join(opts.dir, "ctr.log"));
  if (opts.socket) args.push("--socket", join(opts.dir, "attach.sock"));
  if (attach) args.push("--attach-fd", "5");
  if (opts.tty) args.push("--tty");
  if (opts.stdin) args.push("--stdin");
  if (opts.detach) args.push("--detach");
  if (opts.restart) args.push("--restart", opts.restart);
  for (const p of opts.umount ?? []) args.push("--umount", p);
  for (const p of opts.rmPaths ?? []) args.push("--rm-path", p);
  for (const a of opts.prestartHook ?? []) args.push("--prestart-hook", a);
  args.push("--", nativeProgram("skiff-runtime"));
  if (opts.execIn !== undefined) args.push("exec", "--pid", String(opts.execIn));
  else args.push("run");
  args.push("--spec", specPath);

  const { child, ready } = ns.spawn(args, {
    stdio: ["ignore", "pipe", "pipe", "ignore", "pipe", attach ? "pipe" : "ignore"],
    env: env.env,
  });
  const statusText = new Promise<string>((resolve) => {
    let text = "";
    child.stdio[4]!.on("data", (d: Buffer) => (text += d.toString()));
    child.stdio[4]!.on("end", () => resolve(text.trim()));
  });
  const status = ready.then(() => statusText);
  status.catch(() => {}); // observed by the tests that await it
  const exited = new Promise<number>((resolve) => child.on("exit", (code, signal) => resolve(code ?? 128 + (signal ? 9 : 0))));
  const run = new MonitorRun(opts.dir, child, status, exited, attach ? new AttachClient((child.stdio as unknown as Duplex[])[5]!) : undefined);
  child.stderr!.on("data", (d: Buffer) => (run.stderr += d.toString()));
  child.stdout!.on("data", (d: Buffer) => (run.stderr += d.toString()));
  return run;
}

export interface Frame {
  type: number;
  payload: Buffer;
  /** performance.now() when it arrived. */
  at: number;
}

/** A client of the monitor's attach protocol (lib/frames.h). */
export class AttachClient {
  readonly frames: Frame[] = [];
  readonly exit: Promise<number>;
  private pending = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private resolveExit!: (code: number) => void;

  constructor(readonly socket: Duplex) {
    this.exit = new Promise((resolve) => (this.resolveExit = resolve));
    socket.on("data", (d: Buffer) => this.receive(d));
    socket.on("error", () => {});
    socket.on("close", () => this.resolveExit(-1));
  }

  private receive(d: Buffer): void {
    this.pending = Buffer.concat([this.pending, d]);
    while (this.pending.length >= 8) {
      const len = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + len) break;
      const frame: Frame = { type: this.pending[0]!, payload: this.pending.subarray(8, 8 + len), at: performance.now() };
      this.frames.push(frame);
      this.pending = this.pending.subarray(8 + len);
      if (frame.type === 3) this.resolveExit(Number(frame.payload.toString()));
    }
    for (const w of this.waiters.splice(0)) w();
  }

  text(type?: 1 | 2): string {
    return this.frames
      .filter((f) => (type === undefined ? f.type === 1 || f.type === 2 : f.type === type))
      .map((f) => f.payload.toString())
      .join("");
  }

  /** Resolve once the output (stdout and stderr) matches re. */
  async waitFor(re: RegExp, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!re.test(this.text())) {
      if (Date.now() > deadline) throw new Error(`attach output never matched ${re}: ${JSON.stringify(this.text())}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
    return this.text();
  }

  send(type: number, payload: string | Buffer = ""): void {
    const body = Buffer.from(payload);
    const head = Buffer.alloc(8);
    head[0] = type;
    head.writeUInt32BE(body.length, 4);
    this.socket.write(Buffer.concat([head, body]));
  }

  stdin(data: string): void {
    this.send(0, data);
  }

  closeStdin(): void {
    this.send(5);
  }

  resize(rows: number, cols: number): void {
    this.send(6, `${rows} ${cols}`);
  }

  close(): void {
    this.socket.destroy();
  }
}

export function connectAttach(path: string): Promise<AttachClient> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect(path, () => resolve(new AttachClient(s)));
    s.once("error", reject);
  });
}

export async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** True when pid is gone or a zombie (this host's PID 1 leaves zombies). */
export function processGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state === "Z" || state === "X";
  } catch {
    return true;
  }
}

/** SIGKILL a container process if it still runs. The pid may be stale and
 * reused by now (pid_max can be 32768): only a process in another user
 * namespace that is not a skiff helper is taken for the container's. */
export function killQuietly(pid: number | undefined): void {
  if (!pid || Number.isNaN(pid)) return;
  try {
    if (readlinkSync(`/proc/${pid}/ns/user`) === readlinkSync("/proc/self/ns/user")) return;
    if (/^skiff-/.test(readFileSync(`/proc/${pid}/comm`, "utf8"))) return;
  } catch {
    return;
  }
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    /* gone */
  }
}
