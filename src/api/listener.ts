import { chmodSync, existsSync, mkdirSync, unlinkSync } from "node:fs";
import type { Server } from "node:http";
import { isIP } from "node:net";
import { dirname, isAbsolute } from "node:path";
import { socketState } from "../engine/api-socket.js";
import { InvalidArgumentError, SkiffError } from "../errors.js";

// Where the service listens: a unix socket (the default, private to the
// user: 0600 in a 0700 directory), a TCP address (only when asked, loopback
// unless a host is named, and never without a warning), or a socket that
// systemd opened and handed over.

export type ListenTarget = { kind: "unix"; path: string } | { kind: "tcp"; host: string; port: number } | { kind: "fd"; fd: number };

const URI_HINT = "give unix:///absolute/path.sock or tcp://127.0.0.1:PORT";

/** unix:///run/user/1000/x.sock, unix:/path, tcp://HOST:PORT, tcp://:PORT (loopback), tcp:HOST:PORT (podman's spelling). */
export function parseListenUri(uri: string): ListenTarget {
  const unix = /^unix:(?:\/\/)?(.*)$/.exec(uri);
  if (unix) {
    const path = unix[1]!;
    if (!path || !isAbsolute(path)) throw new InvalidArgumentError(`invalid socket address ${JSON.stringify(uri)}: the path must be absolute`, URI_HINT);
    return { kind: "unix", path };
  }
  const tcp = /^tcp:(?:\/\/)?(.*)$/.exec(uri);
  if (tcp) {
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:/]*)):(\d+)\/?$/.exec(tcp[1]!);
    const port = m ? Number(m[3]) : NaN;
    if (!m || !(port > 0 && port < 65536)) throw new InvalidArgumentError(`invalid TCP address ${JSON.stringify(uri)}`, URI_HINT);
    const host = m[1] ?? (m[2] || "127.0.0.1");
    return { kind: "tcp", host, port };
  }
  throw new InvalidArgumentError(`unsupported address ${JSON.stringify(uri)}: only unix:// and tcp:// are served`, URI_HINT);
}

export function describeTarget(t: ListenTarget): string {
  if (t.kind === "unix") return `unix://${t.path}`;
  if (t.kind === "tcp") return `tcp://${isIP(t.host) === 6 ? `[${t.host}]` : t.host}:${t.port}`;
  return "the socket passed by systemd (LISTEN_FDS)";
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || (isIP(host) === 4 && host.startsWith("127."));
}

/** The one line said for any TCP listener: the API gives full control over the user's containers. */
export function tcpWarning(t: Extract<ListenTarget, { kind: "tcp" }>): string {
  const who = isLoopback(t.host) ? "anyone on this host" : "anyone who can reach it over the network";
  return `WARNING: the API on ${describeTarget(t)} has no TLS and no authentication: ${who} controls your containers, and through them your files`;
}

function listenOn(server: Server, arg: Parameters<Server["listen"]>[0]): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once("error", onError);
    server.listen(arg, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

function inUse(where: string): SkiffError {
  return new SkiffError(`another service is already listening on ${where}`, {
    hint: "stop it first (an idle skiff service exits by itself after --time seconds), or give another address: skiff system service unix:///path/to/other.sock",
  });
}

/**
 * Prepare a unix socket path and bind it: the directory made 0700 when
 * missing (`privateDir`: also when it exists, for skiff's own run root), a
 * live listener refused, a dead one's socket file removed, the socket 0600
 * from the start (a umask around bind, so that no moment exists in which
 * others could connect).
 */
async function listenUnix(server: Server, path: string, privateDir: boolean): Promise<void> {
  const dir = dirname(path);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  else if (privateDir) chmodSync(dir, 0o700);
  const state = await socketState(path);
  if (state === "listening") throw inUse(path);
  if (state === "not-a-socket") throw new SkiffError(`${path} exists and is not a socket`, { hint: "remove it, or give another path: skiff system service unix:///path/to/skiff.sock" });
  if (state === "stale") unlinkSync(path);
  const old = process.umask(0o177);
  try {
    await listenOn(server, { path, exclusive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EADDRINUSE") throw inUse(path);
    throw e;
  } finally {
    process.umask(old);
  }
  chmodSync(path, 0o600);
}

async function listenTcp(server: Server, host: string, port: number): Promise<void> {
  try {
    await listenOn(server, { host, port, exclusive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") throw inUse(`${host}:${port}`);
    if (code === "EACCES")
      throw new SkiffError(`cannot listen on ${host}:${port}: permission denied`, { hint: "use a port at or above net.ipv4.ip_unprivileged_port_start (skiff info shows it), e.g. 2375" });
    if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") throw new InvalidArgumentError(`cannot listen on ${host}:${port}: no such address on this host`, URI_HINT);
    throw e;
  }
}

async function listenFd(server: Server, fd: number): Promise<void> {
  try {
    await listenOn(server, { fd });
  } catch (e) {
    throw new SkiffError(`cannot serve the socket passed by systemd: ${(e as Error).message}`, {
      hint: "check the ListenStream= of skiff.socket, or start skiff system service without socket activation",
    });
  }
}

/** Bind `server` to the target; `privateDir` is for the default socket in skiff's run root. */
export async function listen(server: Server, target: ListenTarget, opts: { privateDir?: boolean } = {}): Promise<void> {
  if (target.kind === "unix") return listenUnix(server, target.path, opts.privateDir ?? false);
  if (target.kind === "tcp") return listenTcp(server, target.host, target.port);
  return listenFd(server, target.fd);
}
