import type { ListenTarget } from "./listener.js";

// systemd socket activation (sd_listen_fds(3)): systemd binds the socket,
// starts the service with it as fd 3 and says so in LISTEN_FDS and
// LISTEN_PID. The service re-executes itself inside skiff's user namespace,
// where its pid is another one: the outer process checks LISTEN_PID against
// itself and hands the descriptor, and the fact, down explicitly.
//
// `skiff system service --install` writes the user units for it. The
// service unit's KillMode=process matters: containers started through the
// API have monitors in the service's cgroup, and an idle service that exits
// must not take them along.

export const SD_LISTEN_FDS_START = 3;

/** The first socket systemd passed to this process, if it passed any to it. */
export function activatedSocket(env: NodeJS.ProcessEnv, pid: number = process.pid): number | undefined {
  const fds = Number(env.LISTEN_FDS);
  if (env.LISTEN_PID !== String(pid) || !(fds >= 1)) return undefined;
  return SD_LISTEN_FDS_START;
}

/** The environment without the activation variables (they are for this process only, not its children). */
export function withoutActivation(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  delete out.LISTEN_FDS;
  delete out.LISTEN_PID;
  delete out.LISTEN_FDNAMES;
  return out;
}

export interface UnitOptions {
  /** Absolute path of node. */
  node: string;
  /** Absolute path of skiff's bin/skiff.js. */
  entry: string;
  /** Where the socket unit listens: its ListenStream=. */
  listen: Extract<ListenTarget, { kind: "unix" | "tcp" }>;
  /** Global flags to keep (--root, --runroot, --storage-driver). */
  globals: string[];
}

/** systemd.syntax(7): "%" starts a specifier, so a literal one is "%%"; words with spaces are quoted. */
const escapePercent = (s: string) => s.replace(/%/g, "%%");
const quote = (s: string) => {
  const e = escapePercent(s);
  return /^[\w@%+=:,./-]+$/.test(e) ? e : `"${e.replace(/(["\\])/g, "\\$1")}"`;
};

export function socketUnit(o: UnitOptions): string {
  const stream = o.listen.kind === "unix" ? o.listen.path : `${o.listen.host.includes(":") ? `[${o.listen.host}]` : o.listen.host}:${o.listen.port}`;
  return [
    "# Written by `skiff system service --install`.",
    "[Unit]",
    "Description=skiff Docker Engine API socket",
    "",
    "[Socket]",
    `ListenStream=${stream}`,
    "SocketMode=0600",
    "DirectoryMode=0700",
    "",
    "[Install]",
    "WantedBy=sockets.target",
    "",
  ].join("\n");
}

export function serviceUnit(o: UnitOptions): string {
  return [
    "# Written by `skiff system service --install`.",
    "[Unit]",
    "Description=skiff Docker Engine API service",
    "Requires=skiff.socket",
    "After=skiff.socket",
    "",
    "[Service]",
    "Type=exec",
    // Containers outlive the service: only the service process is stopped.
    "KillMode=process",
    `ExecStart=${[o.node, o.entry, ...o.globals, "system", "service"].map(quote).join(" ")}`,
    "",
    "[Install]",
    "WantedBy=default.target",
    "",
  ].join("\n");
}

/** In a unit, %t is the user's runtime directory: the default socket is written with it. */
export function unitPath(path: string, runtimeDir: string | undefined): string {
  return runtimeDir && path.startsWith(`${runtimeDir}/`) ? `%t${escapePercent(path.slice(runtimeDir.length))}` : escapePercent(path);
}
