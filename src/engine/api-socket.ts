import { lstatSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";

// Where `skiff system service` listens by default (DESIGN.md §4: the run
// root, 0700), and whether a service answers there. `skiff info` shows it;
// the service itself uses it to refuse a second service and to clear a
// socket file left by one that died.

export const API_SOCKET_NAME = "skiff.sock";

export function apiSocketPath(runRoot: string): string {
  return join(runRoot, API_SOCKET_NAME);
}

export type SocketState = "listening" | "stale" | "absent" | "not-a-socket";

/** A unix socket path: a live listener, a leftover file, nothing, or some other file. */
export function socketState(path: string): Promise<SocketState> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return Promise.resolve("absent");
  }
  if (!isSocket) return Promise.resolve("not-a-socket");
  return new Promise((resolve) => {
    const sock = connect(path);
    sock.once("connect", () => {
      sock.destroy();
      resolve("listening");
    });
    // ECONNREFUSED: nobody listens; EACCES and the like: not ours to judge, treat as taken.
    sock.once("error", (e: NodeJS.ErrnoException) => resolve(e.code === "ECONNREFUSED" || e.code === "ENOENT" ? "stale" : "listening"));
  });
}
