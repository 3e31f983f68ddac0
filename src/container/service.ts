import { existsSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { ConflictError, InvalidArgumentError, SkiffError } from "../errors.js";
import type { ImageService } from "../image/service.js";
import { imageLock } from "../image/service.js";
import type { LayerStore } from "../layer/store.js";
import { isMounted, mountOverlay, unmount, type NamespaceExec } from "../mount/overlay.js";
import { prepareVfsRootfs } from "../mount/vfs.js";
import type { LockService } from "../store/locks.js";
import { formatRuntimeSpec, type SpecMount } from "../runtime/spec-file.js";
import { buildSpec } from "../runtime/spec.js";
import { launchMonitor, type Launched } from "../runtime/launch.js";
import { resolveUser } from "../runtime/user.js";
import type { UserNamespace } from "../userns/namespace.js";
import { nativeProgram } from "../config/install.js";
import { mergeEnv, recordFromBody, type ContainerCreateBody } from "./create-body.js";
import { parseEnvList } from "./create-flags.js";
import type { ContainerRecord } from "./record.js";
import { readState, type ContainerState } from "./state.js";
import type { ContainerStore } from "./store.js";
import { signalNumber, waitFor } from "./signals.js";
import type { EventLog } from "../events/log.js";
import { logContainerEvent, renameMonitorActor, writeMonitorActor } from "./events.js";
import { monitorHealth } from "./health.js";

// The container lifecycle: create, start, stop, kill, remove, wait. The
// service runs outside skiff's namespace; what must happen inside it (the
// fuse mount, deleting files owned by subordinate ids) goes through
// short-lived commands there, and the container itself through its monitor.

export interface ContainerView {
  record: ContainerRecord;
  state: ContainerState;
}

/** One process to run in a running container (`exec`). */
export interface ExecRequest {
  cmd: string[];
  env: string[];
  envFile: string[];
  workdir?: string;
  user?: string;
  tty: boolean;
  interactive: boolean;
  detach: boolean;
  privileged: boolean;
  /** Keep its directory (state files) after it exits. */
  keep?: boolean;
}

/** Hooks the engine fills from other rooms (volumes, networking). */
export interface ContainerHooks {
  /** Resolve the record's volume/bind mounts into runtime mounts, creating named volumes. */
  mounts(record: ContainerRecord): Promise<SpecMount[]>;
  /** Write /etc/hosts, hostname and resolv.conf; choose the network namespace. */
  network(record: ContainerRecord, userdata: string): Promise<{ etc: { hosts: string; hostname: string; resolvConf: string }; mode: "host" | "new" | { join: string }; prestart?: string[]; hostname?: string; done?: () => Promise<void> }>;
  /** Refuse a new record that no start could run (e.g. an unknown network); may reserve what it needs (addresses). */
  check?(record: ContainerRecord): void | Promise<void>;
  /** Anonymous volumes to remove with `rm -v` or `--rm`. */
  anonymousVolumePaths(record: ContainerRecord): string[];
  /** Called when a container is gone (release ports, volumes). */
  removed?(record: ContainerRecord): Promise<void>;
}

export class ContainerService {
  /** Where Docker's events go (set by the engine); none in tests that build the service alone. */
  events?: EventLog;

  constructor(
    readonly store: ContainerStore,
    private readonly images: ImageService,
    private readonly layers: LayerStore,
    private readonly locks: LockService,
    private readonly userns: UserNamespace,
    private readonly nsExec: NamespaceExec,
    private readonly mountNamespacePid: () => number | "self" | undefined,
    private readonly hooks: ContainerHooks,
  ) {}

  /** Append a container event (Docker's actions and attributes). */
  logEvent(r: ContainerRecord, action: string, extra?: Record<string, string>): void {
    logContainerEvent(this.events, r, action, extra);
  }

  /** The monitor's event options, its actor file written (start, exec). */
  private monitorEvents(actor: string, r: ContainerRecord, kind: "container" | "exec", extra?: Record<string, string>) {
    if (!this.events) return undefined;
    writeMonitorActor(actor, r, kind, extra);
    return { log: this.events.path, maxSize: this.events.maxSize, actor, execSession: kind === "exec" };
  }

  view(id: string): ContainerView {
    const record = this.store.read(id);
    return { record, state: readState(this.store.dir(id), record) };
  }

  get(input: string): ContainerView {
    return this.view(this.store.resolve(input));
  }

  list(): ContainerView[] {
    const out: ContainerView[] = [];
    for (const id of this.store.ids()) {
      try {
        out.push(this.view(id));
      } catch {
        /* being removed */
      }
    }
    // Created is an RFC 3339 UTC time: code-unit order is time order. (localeCompare
    // would do too, but its first call loads ICU's collator: ~9 ms on every ps and run.)
    return out.sort((a, b) => (a.record.Created < b.record.Created ? 1 : a.record.Created > b.record.Created ? -1 : 0));
  }

  /** Containers using an image (for rmi). */
  usersOf(imageId: string): { containerId: string; running: boolean }[] {
    return this.list()
      .filter((c) => c.record.Image === imageId)
      .map((c) => ({ containerId: c.record.Id, running: c.state.Running }));
  }

  /** A new container from Docker's create body (the image must be here); `name` as `--name` or the API's ?name= gives it. */
  async create(body: ContainerCreateBody, opts: { name?: string }, driver: "overlay" | "vfs"): Promise<ContainerRecord> {
    const image = this.images.get(body.Image);
    return this.locks.with(
      imageLock(image.record.id),
      async () => {
        if (!this.images.records.has(image.record.id)) throw new SkiffError(`image ${body.Image} was removed while the container was being created`);
        const id = this.store.newId();
        const name = this.store.reserveName(id, opts.name);
        try {
          const record = recordFromBody(body, image, id, name, driver);
          await this.hooks.check?.(record);
          this.store.create(record, ["upper", "work", "merged", "userdata"]);
          this.logEvent(record, "create");
          return record;
        } catch (e) {
          this.store.releaseName(name, id);
          throw e;
        }
      },
      "shared",
    );
  }

  private rootfs(id: string): string {
    return join(this.store.dir(id), "merged");
  }

  /** Mount the container's root filesystem in skiff's mount namespace, if it is not. */
  private async mountRootfs(r: ContainerRecord): Promise<string> {
    const dir = this.store.dir(r.Id);
    const target = this.rootfs(r.Id);
    const pid = this.mountNamespacePid();
    if (pid !== undefined && isMounted(target, pid)) return target;
    if (r.Driver === "vfs") {
      await prepareVfsRootfs({ layerDirs: r.Layers.map((l) => this.layers.diffDir(l)), containerDir: dir, target }, this.nsExec);
      return target;
    }
    await mountOverlay({ lowerDirs: r.Layers.map((l) => this.layers.diffDir(l)), upperDir: join(dir, "upper"), workDir: join(dir, "work"), target }, this.nsExec);
    return target;
  }

  /** Start a created or stopped container; with `attach`, the returned connection carries its stdio. */
  async start(input: string, opts: { attach?: boolean } = {}): Promise<ContainerView & Launched> {
    const id = this.store.resolve(input);
    const view = this.view(id);
    const r = view.record;
    if (view.state.Running || view.state.MonitorPid) {
      if (view.state.Paused) throw new ConflictError(`cannot start a paused container, try unpause instead`);
      return { ...view, pid: view.state.Pid };
    }
    const dir = this.store.dir(id);
    // The monitor logs each start itself; an attach is logged by whoever attached (engine/lifecycle.ts, attach.ts).
    for (const f of ["exit", "pid", "stop-requested", "paused", "start-error", "monitor.pid", "restart-policy"]) rmSync(join(dir, f), { force: true });
    const rootfs = await this.mountRootfs(r);
    const userdata = join(dir, "userdata");
    mkdirSync(userdata, { recursive: true });
    const net = await this.hooks.network(r, userdata).catch(async (e: unknown) => {
      // Docker removes an --rm container whose start failed (a taken port, an unknown network).
      if (r.HostConfig.AutoRemove) await this.remove(id, { force: true, volumes: true }).catch(() => {});
      throw e;
    });
    try {
      return await this.launch(id, r, rootfs, userdata, net, opts);
    } finally {
      await net.done?.();
    }
  }

  private async launch(id: string, r: ContainerRecord, rootfs: string, userdata: string, net: Awaited<ReturnType<ContainerHooks["network"]>>, opts: { attach?: boolean }): Promise<ContainerView & Launched> {
    const dir = this.store.dir(id);
    const lowerTop = [...r.Layers].reverse().map((l) => this.layers.diffDir(l));
    const user = resolveUser(r.Config.User, [join(dir, "upper"), ...lowerTop]);
    const spec = buildSpec({
      // A borrowed network brings its owner's host name (Docker's --network container:NAME).
      record: net.hostname === undefined ? r : { ...r, Config: { ...r.Config, Hostname: net.hostname } },
      rootfs,
      user,
      etcFiles: net.etc,
      mounts: await this.hooks.mounts(r),
      network: net.mode === "host" ? { mode: "host" } : net.mode === "new" ? { mode: "new" } : { mode: "join", path: net.mode.join },
      initPath: nativeProgram("skiff-init"),
      ttyGroupMapped: !this.userns.mapping.singleId,
      syncBeforeExec: Boolean(net.prestart),
    });
    const specPath = join(userdata, "spec");
    writeFileSync(specPath, formatRuntimeSpec(spec));
    const policy = r.HostConfig.RestartPolicy;
    const launched = await launchMonitor(this.userns, {
      dir,
      socket: this.store.socketPath(id),
      log: join(dir, "ctr.log"),
      tty: r.Config.Tty,
      stdin: r.Config.OpenStdin,
      attach: opts.attach,
      restart: restartArgument(policy),
      umount: r.HostConfig.AutoRemove ? [rootfs] : [],
      rmPaths: r.HostConfig.AutoRemove ? [...this.hooks.anonymousVolumePaths(r), join(this.store.namesDir, r.Name), dir] : [],
      prestartHook: net.prestart,
      runtime: ["run", "--spec", specPath],
      events: this.monitorEvents(join(userdata, "event-actor"), r, "container"),
      health: monitorHealth(r, spec, userdata),
    }).catch((e: unknown) => {
      if (r.HostConfig.AutoRemove) void this.remove(id, { force: true, volumes: true }).catch(() => {});
      throw e;
    });
    return { ...this.view(id), ...launched };
  }

  /** Block until the container is not running; its exit code. */
  async wait(input: string): Promise<number> {
    const id = this.store.resolve(input);
    const dir = this.store.dir(id);
    let last = 0;
    for (;;) {
      let s: ContainerState;
      try {
        s = this.view(id).state;
      } catch {
        return last; // removed (--rm) after it exited
      }
      if (s.Status === "exited" || s.Status === "created") return s.ExitCode;
      last = s.ExitCode;
      await waitFor(dir, 50);
    }
  }

  /** Send a signal to the container's process (Docker: kill -s). */
  async kill(input: string, signal = "KILL"): Promise<string> {
    const view = this.get(input);
    if (!view.state.Running) throw new ConflictError(`Cannot kill container: ${input}: Container ${view.record.Id} is not running`);
    const sig = signalNumber(signal);
    if (sig === 9 || sig === 15) writeFileSync(join(this.store.dir(view.record.Id), "stop-requested"), "");
    // Logged before the signal goes, so that it comes before the monitor's "die".
    this.logEvent(view.record, "kill", { signal: String(sig) });
    if (view.state.Paused && sig !== 9) this.signalTree(view.state.Pid, "SIGCONT");
    // No recorded pid yet (a run just starting): never signal pid 0, our own group.
    if (view.state.Pid) process.kill(view.state.Pid, sig);
    else process.kill(view.state.MonitorPid, "SIGTERM");
    return view.record.Id;
  }

  /** Stop: the stop signal, then SIGKILL after the timeout (Docker's default 10 s). */
  async stop(input: string, opts: { timeout?: number; signal?: string } = {}): Promise<string> {
    const view = this.get(input);
    const id = view.record.Id;
    if (!view.state.Running && !view.state.Restarting) return id;
    writeFileSync(join(this.store.dir(id), "stop-requested"), "");
    if (!view.state.Pid) {
      // Between two runs of a restart policy (or a run not yet recorded):
      // SIGTERM makes the monitor cancel the pending restart, or pass the
      // signal on to a run it has just started.
      try {
        process.kill(view.state.MonitorPid, "SIGTERM");
      } catch {
        /* gone */
      }
      await this.waitForMonitor(id);
      return id;
    }
    // Docker: a negative timeout waits for as long as it takes.
    const asked = opts.timeout ?? view.record.Config.StopTimeout ?? 10;
    const timeout = asked < 0 ? Infinity : asked;
    if (view.state.Paused) this.signalTree(view.state.Pid, "SIGCONT");
    const sig = signalNumber(opts.signal ?? view.record.Config.StopSignal);
    // Docker's stop: kill (the stop signal), kill 9 if it must, the monitor's die, then stop.
    this.logEvent(view.record, "kill", { signal: String(sig) });
    try {
      process.kill(view.state.Pid, sig);
    } catch {
      /* already gone */
    }
    const deadline = Date.now() + timeout * 1000;
    while (Date.now() < deadline && this.running(id)) await waitFor(this.store.dir(id), Math.min(100, deadline - Date.now()));
    if (this.running(id)) {
      try {
        const pid = this.view(id).state.Pid;
        this.logEvent(view.record, "kill", { signal: "9" });
        if (pid) process.kill(pid, "SIGKILL");
      } catch {
        /* gone */
      }
      while (this.running(id)) await waitFor(this.store.dir(id), 50);
    }
    await this.waitForMonitor(id);
    this.logEvent(view.record, "stop");
    return id;
  }

  /** `restart`: stop, start, and Docker's closing "restart" event. */
  async restart(input: string, opts: { timeout?: number; signal?: string } = {}): Promise<string> {
    const id = await this.stop(input, opts);
    const started = await this.start(id);
    this.logEvent(started.record, "restart");
    return id;
  }

  private running(id: string): boolean {
    try {
      return this.view(id).state.Running;
    } catch {
      return false;
    }
  }

  /** The monitor writes the exit file and then finishes; give it a moment so state is final. */
  private async waitForMonitor(id: string, ms = 3000): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      try {
        if (!this.view(id).state.MonitorPid) return;
      } catch {
        return;
      }
      await waitFor(this.store.dir(id), 20);
    }
  }

  /** SIGSTOP/SIGCONT to every process of the container's pid namespace (no cgroup freezer here). */
  signalTree(initPid: number, sig: NodeJS.Signals): void {
    const pids = containerPids(initPid);
    // Stop children before the init (so nothing is restarted meanwhile); continue init first.
    const order = sig === "SIGSTOP" ? [...pids].reverse() : pids;
    for (const p of order) {
      try {
        process.kill(p, sig);
      } catch {
        /* exited meanwhile */
      }
    }
  }

  async pause(input: string): Promise<string> {
    const view = this.get(input);
    if (!view.state.Running) throw new ConflictError(`Container ${view.record.Id} is not running`);
    if (view.state.Paused) throw new ConflictError(`Container ${view.record.Id} is already paused`);
    writeFileSync(join(this.store.dir(view.record.Id), "paused"), "");
    this.signalTree(view.state.Pid, "SIGSTOP");
    this.logEvent(view.record, "pause");
    return view.record.Id;
  }

  async unpause(input: string): Promise<string> {
    const view = this.get(input);
    if (!view.state.Paused) throw new ConflictError(`Container ${view.record.Id} is not paused`);
    this.signalTree(view.state.Pid, "SIGCONT");
    rmSync(join(this.store.dir(view.record.Id), "paused"), { force: true });
    this.logEvent(view.record, "unpause");
    return view.record.Id;
  }

  async remove(input: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<string> {
    const id = this.store.resolve(input);
    const view = this.view(id);
    if (view.state.Running || view.state.Restarting) {
      if (!opts.force)
        throw new ConflictError(
          `cannot remove container "/${view.record.Name}": container is ${view.state.Paused ? "paused" : "running"}: stop the container before removing or force remove`,
        );
      writeFileSync(join(this.store.dir(id), "stop-requested"), "");
      this.logEvent(view.record, "kill", { signal: "9" });
      if (view.state.Pid) this.signalTree(view.state.Pid, "SIGKILL");
      while (this.running(id)) await waitFor(this.store.dir(id), 20);
      await this.waitForMonitor(id);
    }
    if (view.state.MonitorPid) {
      try {
        process.kill(view.state.MonitorPid, "SIGTERM");
      } catch {
        /* gone */
      }
    }
    const pid = this.mountNamespacePid();
    if (pid !== undefined) await unmount(this.rootfs(id), this.nsExec, pid);
    const dir = this.store.dir(id);
    // An --rm container's monitor may have removed it (and logged "destroy") meanwhile.
    let destroyed = false;
    if (existsSync(dir)) {
      const trash = this.store.layout.tempPath("deleted-container");
      // Out of sight first, then deleted inside the namespace (the upper dir holds subordinate ids' files).
      renameSync(dir, trash);
      destroyed = true;
      const paths = [trash, ...(opts.volumes ? this.hooks.anonymousVolumePaths(view.record) : [])];
      const r = await this.nsExec(["rm", "-rf", "--one-file-system", ...paths]);
      if (r.code !== 0) throw new SkiffError(`removing ${id}: ${r.stderr.trim()}`);
    }
    this.store.releaseName(view.record.Name, id);
    await this.hooks.removed?.(view.record);
    if (destroyed) this.logEvent(view.record, "destroy");
    return id;
  }

  /**
   * A new restart policy (`update --restart`): kept in the record for the
   * next start, and handed to the monitor of a running container, which
   * reads it when the process exits.
   */
  updateRestartPolicy(input: string, policy: ContainerRecord["HostConfig"]["RestartPolicy"]): ContainerRecord {
    const view = this.get(input);
    const r = view.record;
    if (r.HostConfig.AutoRemove && policy.Name !== "no") throw new InvalidArgumentError("Restart policy cannot be updated because AutoRemove is enabled for the container");
    const updated = { ...r, HostConfig: { ...r.HostConfig, RestartPolicy: policy } };
    this.store.write(updated);
    if (view.state.MonitorPid) writeFileSync(join(this.store.dir(r.Id), "restart-policy"), `${restartArgument(policy)}\n`);
    this.logEvent(updated, "update");
    return updated;
  }

  rename(input: string, newName: string): void {
    const view = this.get(input);
    const id = view.record.Id;
    const name = this.store.reserveName(id, newName);
    const renamed = { ...view.record, Name: name };
    this.store.write(renamed);
    this.store.releaseName(view.record.Name, id);
    renameMonitorActor(join(this.store.dir(id), "userdata", "event-actor"), renamed);
    this.logEvent(renamed, "rename", { oldName: view.record.Name });
  }

  /** Run another process in a running container (`exec`), through its own monitor. */
  async exec(input: string, req: ExecRequest, dir = join(this.store.dir(this.store.resolve(input)), "exec", this.store.newId())): Promise<Launched> {
    const view = this.get(input);
    const r = view.record;
    if (!view.state.Running) throw new ConflictError(`container ${r.Id} is not running`);
    if (view.state.Paused) throw new ConflictError(`Container ${r.Id} is paused, unpause the container before exec`);
    const execId = basename(dir);
    mkdirSync(dir, { recursive: true });
    const lowerTop = [...r.Layers].reverse().map((l) => this.layers.diffDir(l));
    const user = resolveUser(req.user ?? r.Config.User, [join(this.store.dir(r.Id), "upper"), ...lowerTop]);
    const base = buildSpec({
      record: { ...r, Config: { ...r.Config, Tty: req.tty }, HostConfig: { ...r.HostConfig, Privileged: req.privileged || r.HostConfig.Privileged } },
      rootfs: "",
      user,
      etcFiles: { hosts: "", hostname: "", resolvConf: "" },
      mounts: [],
      network: { mode: "host" },
      ttyGroupMapped: true,
    });
    const env = mergeEnv(base.env, parseEnvList(req.env, req.envFile));
    const spec = formatRuntimeSpec({
      args: req.cmd,
      env,
      cwd: req.workdir ?? (r.Config.WorkingDir || "/"),
      user: base.user,
      capabilities: base.capabilities,
      noNewPrivileges: base.noNewPrivileges,
      // As in Docker, an exec'd process has the container's --ulimit limits.
      rlimits: base.rlimits,
      tty: req.tty,
    });
    const specPath = join(dir, "spec");
    writeFileSync(specPath, spec);
    // Docker's exec_create and exec_start name the command; the monitor logs exec_die.
    const command = req.cmd.join(" ");
    this.logEvent(r, `exec_create: ${command}`, { execID: execId });
    this.logEvent(r, `exec_start: ${command}`, { execID: execId });
    return launchMonitor(this.userns, {
      dir,
      tty: req.tty,
      stdin: req.interactive,
      attach: !req.detach,
      // Kept after the exit while someone may still ask for its exit code (the API's exec inspect).
      rmPaths: req.keep ? [] : [dir],
      runtime: ["exec", "--pid", String(view.state.Pid), "--spec", specPath],
      events: this.monitorEvents(join(dir, "event-actor"), r, "exec", { execID: execId }),
    });
  }

  /** `diff`: the root filesystem against the image's layers, as Docker's A/C/D. */
  async changes(input: string): Promise<{ kind: "A" | "C" | "D"; path: string }[]> {
    const r = this.get(input).record;
    const { rootfsChanges } = await import("./changes.js");
    return rootfsChanges(r.Layers.map((l) => this.layers.diffDir(l)), await this.mountRootfs(r));
  }

  logPath(id: string): string {
    return join(this.store.dir(id), "ctr.log");
  }

  /** Mounted rootfs of a running container, for exec/cp/diff. */
  async mountedRootfs(input: string): Promise<string> {
    const view = this.get(input);
    return this.mountRootfs(view.record);
  }
}

/** A restart policy as skiff-monitor's --restart (and its restart-policy file) takes it. */
function restartArgument(policy: ContainerRecord["HostConfig"]["RestartPolicy"]): string {
  return policy.Name === "on-failure" && policy.MaximumRetryCount ? `on-failure:${policy.MaximumRetryCount}` : policy.Name;
}

/** Host pids of every process in the container's pid namespace (init first). */
export function containerPids(initPid: number): number[] {
  const nsOf = (pid: number) => readlinkSync(`/proc/${pid}/ns/pid`);
  let ns: string;
  try {
    ns = nsOf(initPid);
  } catch {
    return [];
  }
  const out = [initPid];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === initPid) continue;
    try {
      if (nsOf(Number(name)) === ns) out.push(Number(name));
    } catch {
      /* gone, or not ours to look at */
    }
  }
  return out;
}
