import type { Engine } from "../engine/engine.js";
import type { NamespaceFacts } from "../userns/probe.js";
import { describeTarget, listen, type ListenTarget } from "./listener.js";
import { apiRoutes } from "./routes/index.js";
import type { Route } from "./router.js";
import { ApiServer } from "./server.js";

// `skiff system service`: the route table on a listener, until the idle
// clock or a signal ends it. One process serves every client of the user;
// the engine it calls is the same the CLI uses.

export interface ApiServiceOptions {
  engine: Engine;
  target: ListenTarget;
  /** `--time`: seconds without work before the service ends; 0 never. */
  idleSeconds: number;
  /** skiff's own run-root socket: its directory is made private too. */
  privateDir?: boolean;
  /** The user's facts from outside skiff's user namespace, for /info. */
  namespace?: NamespaceFacts;
  /** Replaces the standard routes (tests of the server itself). */
  routes?: Route[];
  log?(line: string, level: "debug" | "error"): void;
}

export interface RunningService {
  /** "unix:///…/skiff.sock", "tcp://127.0.0.1:2375". */
  address: string;
  server: ApiServer;
  /** Settles when the service has stopped (idle, or stop()). */
  stopped: Promise<void>;
  /** `force`: cut open connections too (a signal), instead of letting them finish. */
  stop(opts?: { force?: boolean }): Promise<void>;
}

export async function startApiService(o: ApiServiceOptions): Promise<RunningService> {
  let stopping: Promise<void> | undefined;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  const stop = (opts: { force?: boolean } = {}) => {
    if (!stopping) stopping = server.close(opts).then(resolveStopped);
    else if (opts.force) server.cutConnections();
    return stopping;
  };
  const server = new ApiServer({
    routes: o.routes ?? apiRoutes({ engine: o.engine, namespace: o.namespace }),
    idleSeconds: o.idleSeconds,
    onIdle: () => {
      o.log?.(`idle for ${o.idleSeconds}s: stopping`, "debug");
      void stop();
    },
    log: o.log,
  });
  try {
    await listen(server.http, o.target, { privateDir: o.privateDir });
  } catch (e) {
    server.idle.stop();
    throw e;
  }
  return { address: describeTarget(o.target), server, stopped, stop };
}
