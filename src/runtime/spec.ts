import { InvalidArgumentError } from "../errors.js";
import type { RuntimeSpec, SpecMount } from "./spec-file.js";
import type { ResolvedUser } from "./user.js";

// What a container process gets (the host decides, native/skiff-runtime
// executes): Docker's defaults for mounts, devices, capabilities and masked
// paths (moby's oci/defaults.go, the OCI runtime-spec's example config),
// plus skiff's one stricter choice, no_new_privs on by default.

export const DEFAULT_CAPS = [
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
  "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
];

/** Every capability a user namespace can hold (for --privileged and --cap-add ALL). */
export const ALL_CAPS = [
  ...DEFAULT_CAPS, "CAP_DAC_READ_SEARCH", "CAP_LINUX_IMMUTABLE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_IPC_LOCK",
  "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
  "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_LEASE", "CAP_AUDIT_CONTROL",
  "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
  "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
];

export const MASKED_PATHS = [
  "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
  "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
];

export const READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

const DEVICES = ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"];

export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * What a container's process is made from: the parts of its record the
 * runtime reads (the container room's record has these fields, and more).
 */
export interface ProcessRecord {
  Config: {
    Hostname: string;
    Env: string[];
    Cmd: string[] | null;
    Entrypoint: string[] | null;
    WorkingDir: string;
    Tty: boolean;
  };
  HostConfig: {
    Privileged: boolean;
    CapAdd: string[];
    CapDrop: string[];
    Tmpfs: Record<string, string>;
    Init: boolean;
    ReadonlyRootfs: boolean;
    Ulimits: { Name: string; Soft: number; Hard: number }[];
  };
}

export function capabilities(record: Pick<ProcessRecord, "HostConfig">): string[] {
  const norm = (c: string) => {
    const up = c.toUpperCase();
    return up === "ALL" ? up : up.startsWith("CAP_") ? up : `CAP_${up}`;
  };
  if (record.HostConfig.Privileged) return ALL_CAPS;
  const drop = record.HostConfig.CapDrop.map(norm);
  const add = record.HostConfig.CapAdd.map(norm);
  for (const c of [...add, ...drop]) if (c !== "ALL" && !ALL_CAPS.includes(c)) throw new InvalidArgumentError(`unknown capability: "${c}"`);
  let caps = drop.includes("ALL") ? [] : DEFAULT_CAPS.filter((c) => !drop.includes(c));
  caps = add.includes("ALL") ? ALL_CAPS.filter((c) => !drop.includes(c)) : [...new Set([...caps, ...add])];
  return caps;
}

const RLIMITS = ["core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack", "as"];

/** Docker's --ulimit: name=soft[:hard]. */
export function parseUlimit(s: string): { Name: string; Soft: number; Hard: number } {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(s);
  if (!m || !RLIMITS.includes(m[1]!)) throw new InvalidArgumentError(`invalid ulimit argument: ${s}`, `use NAME=SOFT[:HARD] with NAME one of ${RLIMITS.join(", ")}`);
  const soft = Number(m[2]);
  const hard = m[3] === undefined ? soft : Number(m[3]);
  if (soft > hard && hard !== -1) throw new InvalidArgumentError(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { Name: m[1]!, Soft: soft, Hard: hard };
}

export interface SpecInputs {
  record: ProcessRecord;
  rootfs: string;
  user: ResolvedUser;
  /** Host files bound at /etc/hosts, /etc/hostname, /etc/resolv.conf. */
  etcFiles: { hosts: string; hostname: string; resolvConf: string };
  /** Volume and bind mounts already resolved to host paths. */
  mounts: SpecMount[];
  /** A network namespace to join (--network container:x), or new, or none for host. */
  network: { mode: "host" } | { mode: "new" } | { mode: "join"; path: string };
  /** Path of skiff-init on the host, for --init. */
  initPath?: string;
  /** Whether gid 5 (tty) is mapped: devpts gets gid=5 then, as Docker does. */
  ttyGroupMapped: boolean;
  syncBeforeExec?: boolean;
}

export function buildSpec(i: SpecInputs): RuntimeSpec {
  const r = i.record;
  const cfg = r.Config;
  const env = [...cfg.Env];
  const has = (k: string) => env.some((e) => e.startsWith(`${k}=`));
  if (!has("PATH")) env.unshift(`PATH=${DEFAULT_PATH}`);
  if (!has("HOSTNAME")) env.push(`HOSTNAME=${cfg.Hostname}`);
  if (cfg.Tty && !has("TERM")) env.push("TERM=xterm");
  if (!has("HOME")) env.push(`HOME=${i.user.home || "/"}`);

  const sys: SpecMount =
    i.network.mode === "host"
      ? { destination: "/sys", type: "rbind", source: "/sys", options: ["rbind", "nosuid", "noexec", "nodev", "ro"] }
      : { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] };
  const mounts: SpecMount[] = [
    { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
    { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
    { destination: "/dev/pts", type: "devpts", source: "devpts", options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", ...(i.ttyGroupMapped ? ["gid=5"] : [])] },
    { destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
    { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
    sys,
    { destination: "/etc/resolv.conf", type: "bind", source: i.etcFiles.resolvConf, options: ["rbind", "rprivate"] },
    { destination: "/etc/hostname", type: "bind", source: i.etcFiles.hostname, options: ["rbind", "rprivate"] },
    { destination: "/etc/hosts", type: "bind", source: i.etcFiles.hosts, options: ["rbind", "rprivate"] },
    ...Object.entries(r.HostConfig.Tmpfs).map(([dest, opts]) => ({
      destination: dest,
      type: "tmpfs" as const,
      source: "tmpfs",
      options: ["nosuid", "nodev", ...(opts ? opts.split(",") : [])],
    })),
    ...i.mounts,
  ];
  let args = [...(cfg.Entrypoint ?? []), ...(cfg.Cmd ?? [])];
  if (args.length === 0) throw new InvalidArgumentError("no command specified", "give a command after the image name, or use an image with CMD or ENTRYPOINT");
  if (r.HostConfig.Init && i.initPath) {
    mounts.push({ destination: "/sbin/docker-init", type: "bind", source: i.initPath, options: ["bind", "ro"] });
    args = ["/sbin/docker-init", "--", ...args];
  }
  const namespaces: RuntimeSpec["namespaces"] = [{ type: "mount" }, { type: "pid" }, { type: "uts" }, { type: "ipc" }];
  if (i.network.mode === "new") namespaces.push({ type: "net" });
  if (i.network.mode === "join") namespaces.push({ type: "net", path: i.network.path });
  return {
    rootfs: i.rootfs,
    readonly: r.HostConfig.ReadonlyRootfs,
    namespaces,
    hostname: cfg.Hostname,
    args,
    env,
    cwd: cfg.WorkingDir || "/",
    user: { uid: i.user.uid, gid: i.user.gid, additionalGids: i.user.additionalGids },
    mounts,
    devices: DEVICES,
    symlinks: [
      { target: "/proc/self/fd", linkPath: "/dev/fd" },
      { target: "/proc/self/fd/0", linkPath: "/dev/stdin" },
      { target: "/proc/self/fd/1", linkPath: "/dev/stdout" },
      { target: "/proc/self/fd/2", linkPath: "/dev/stderr" },
      { target: "pts/ptmx", linkPath: "/dev/ptmx" },
      { target: "/proc/kcore", linkPath: "/dev/core" },
    ],
    maskedPaths: r.HostConfig.Privileged ? [] : MASKED_PATHS,
    readonlyPaths: r.HostConfig.Privileged ? [] : READONLY_PATHS,
    capabilities: capabilities(r),
    rlimits: r.HostConfig.Ulimits.map((u) => ({ type: u.Name, soft: u.Soft < 0 ? "unlimited" : u.Soft, hard: u.Hard < 0 ? "unlimited" : u.Hard })),
    noNewPrivileges: !r.HostConfig.Privileged,
    tty: cfg.Tty,
    syncBeforeExec: i.syncBeforeExec,
  };
}
