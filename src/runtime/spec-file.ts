// The spec file native/skiff-runtime reads: everything the host decided about
// one container process, as text. One directive per line, fields separated by
// TAB, each field percent-encoded so that tabs, newlines and percent signs in
// values (an argv word, an env value) survive. The directive list and their
// meaning live at the top of native/skiff-runtime.c; this is its writer (and
// a reader, so the format has a round trip the tests can hold).

export type NamespaceType = "mount" | "pid" | "uts" | "ipc" | "net" | "cgroup";
export type MountType = "bind" | "rbind" | "tmpfs" | "proc" | "sysfs" | "devpts" | "mqueue";

export interface SpecMount {
  destination: string;
  type: MountType;
  source: string;
  /** e.g. ["nosuid", "nodev", "mode=755", "size=65536k"] */
  options: string[];
}

export interface SpecRlimit {
  /** RLIMIT_NOFILE or nofile */
  type: string;
  soft: number | "unlimited";
  hard: number | "unlimited";
}

export interface RuntimeSpec {
  rootfs?: string;
  readonly?: boolean;
  /** Without a path a new namespace is made; with one (/proc/PID/ns/net) it is joined. */
  namespaces?: { type: NamespaceType; path?: string }[];
  hostname?: string;
  args: string[];
  /** Exactly the process environment, KEY=VALUE. */
  env: string[];
  cwd?: string;
  user?: { uid: number; gid: number; additionalGids?: number[] };
  umask?: number;
  mounts?: SpecMount[];
  /** Host device nodes bound onto the same path under the rootfs's /dev. */
  devices?: string[];
  symlinks?: { target: string; linkPath: string }[];
  maskedPaths?: string[];
  readonlyPaths?: string[];
  /** Capabilities kept, e.g. CAP_CHOWN. */
  capabilities?: string[];
  rlimits?: SpecRlimit[];
  noNewPrivileges?: boolean;
  tty?: boolean;
  /** The terminal's size before the process starts (Docker's ConsoleSize). */
  consoleSize?: { rows: number; cols: number };
  /** The process waits for the monitor's go before exec (prestart hooks). */
  syncBeforeExec?: boolean;
}

/** Percent-encode the bytes that would break the line format. */
export function encodeField(value: string): string {
  return value.replace(/[%\t\n\r\0]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0"));
}

export function decodeField(field: string): string {
  return field.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function line(...fields: (string | number)[]): string {
  return fields.map((f) => encodeField(String(f))).join("\t") + "\n";
}

const flag = (b: boolean | undefined): string => (b ? "1" : "0");

export function formatRuntimeSpec(spec: RuntimeSpec): string {
  if (spec.args.length === 0) throw new Error("a runtime spec needs at least one arg");
  let out = "";
  if (spec.rootfs !== undefined) out += line("rootfs", spec.rootfs);
  if (spec.readonly !== undefined) out += line("readonly", flag(spec.readonly));
  for (const ns of spec.namespaces ?? []) out += ns.path ? line("namespace", ns.type, ns.path) : line("namespace", ns.type);
  if (spec.hostname !== undefined) out += line("hostname", spec.hostname);
  for (const a of spec.args) out += line("arg", a);
  for (const e of spec.env) out += line("env", e);
  if (spec.cwd !== undefined) out += line("cwd", spec.cwd);
  if (spec.user) {
    out += line("user", spec.user.uid, spec.user.gid);
    for (const g of spec.user.additionalGids ?? []) out += line("group", g);
  }
  if (spec.umask !== undefined) out += line("umask", spec.umask.toString(8).padStart(4, "0"));
  for (const m of spec.mounts ?? []) out += line("mount", m.destination, m.type, m.source, m.options.join(","));
  for (const d of spec.devices ?? []) out += line("device", d);
  for (const l of spec.symlinks ?? []) out += line("symlink", l.target, l.linkPath);
  for (const p of spec.maskedPaths ?? []) out += line("mask", p);
  for (const p of spec.readonlyPaths ?? []) out += line("readonly-path", p);
  for (const c of spec.capabilities ?? []) out += line("cap", c);
  for (const r of spec.rlimits ?? []) out += line("rlimit", r.type, r.soft, r.hard);
  if (spec.noNewPrivileges !== undefined) out += line("no-new-privileges", flag(spec.noNewPrivileges));
  if (spec.tty !== undefined) out += line("tty", flag(spec.tty));
  if (spec.consoleSize) out += line("console-size", spec.consoleSize.rows, spec.consoleSize.cols);
  if (spec.syncBeforeExec !== undefined) out += line("sync-before-exec", flag(spec.syncBeforeExec));
  return out;
}

/** The inverse of formatRuntimeSpec (for tests and debugging tools). */
export function parseRuntimeSpec(text: string): RuntimeSpec {
  const spec: RuntimeSpec = { args: [], env: [] };
  const limit = (v: string): number | "unlimited" => (v === "unlimited" ? v : Number(v));
  for (const raw of text.split("\n")) {
    if (!raw) continue;
    const [d, ...f] = raw.split("\t").map(decodeField) as [string, ...string[]];
    const a = f[0] ?? "";
    switch (d) {
      case "rootfs": spec.rootfs = a; break;
      case "readonly": spec.readonly = a === "1"; break;
      case "namespace": (spec.namespaces ??= []).push(f[1] ? { type: a as NamespaceType, path: f[1] } : { type: a as NamespaceType }); break;
      case "hostname": spec.hostname = a; break;
      case "arg": spec.args.push(a); break;
      case "env": spec.env.push(a); break;
      case "cwd": spec.cwd = a; break;
      case "user": spec.user = { uid: Number(a), gid: Number(f[1]), additionalGids: spec.user?.additionalGids ?? [] }; break;
      case "group": (spec.user ??= { uid: 0, gid: 0 }).additionalGids = [...(spec.user.additionalGids ?? []), Number(a)]; break;
      case "umask": spec.umask = parseInt(a, 8); break;
      case "mount": (spec.mounts ??= []).push({ destination: a, type: f[1] as MountType, source: f[2] ?? "", options: f[3] ? f[3].split(",") : [] }); break;
      case "device": (spec.devices ??= []).push(a); break;
      case "symlink": (spec.symlinks ??= []).push({ target: a, linkPath: f[1] ?? "" }); break;
      case "mask": (spec.maskedPaths ??= []).push(a); break;
      case "readonly-path": (spec.readonlyPaths ??= []).push(a); break;
      case "cap": (spec.capabilities ??= []).push(a); break;
      case "rlimit": (spec.rlimits ??= []).push({ type: a, soft: limit(f[1] ?? ""), hard: limit(f[2] ?? "") }); break;
      case "no-new-privileges": spec.noNewPrivileges = a === "1"; break;
      case "tty": spec.tty = a === "1"; break;
      case "console-size": spec.consoleSize = { rows: Number(a), cols: Number(f[1]) }; break;
      case "sync-before-exec": spec.syncBeforeExec = a === "1"; break;
      default: throw new Error(`unknown runtime spec directive ${JSON.stringify(d)}`);
    }
  }
  return spec;
}
