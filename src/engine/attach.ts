import { connect } from "node:net";
import type { Duplex } from "node:stream";
import { ConflictError } from "../errors.js";
import type { Engine } from "./engine.js";

// `attach`: a connection to a running container's monitor, which speaks the
// attach protocol (native/lib/frames.h; the client side is
// src/container/attach.ts). The monitor sends output from the moment the
// connection is made, then the exit code.

export interface Attached {
  id: string;
  conn: Duplex;
  tty: boolean;
  /** Whether the container keeps a stdin open for clients (-i). */
  openStdin: boolean;
}

export async function attachContainer(engine: Engine, name: string): Promise<Attached> {
  const view = engine.containers.get(name);
  if (!view.state.Running) throw new ConflictError("You cannot attach to a stopped container, start it first");
  if (view.state.Paused) throw new ConflictError("You cannot attach to a paused container, unpause it first");
  const conn = connect(engine.containers.store.socketPath(view.record.Id));
  await new Promise<void>((resolve, reject) => {
    conn.once("connect", resolve);
    conn.once("error", reject);
  });
  return { id: view.record.Id, conn, tty: view.record.Config.Tty, openStdin: view.record.Config.OpenStdin };
}
