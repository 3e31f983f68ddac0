import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { InvalidArgumentError } from "../errors.js";
import { ApiVersionError, negotiateApiVersion, splitVersionPrefix } from "./api-version.js";
import { ApiCall } from "./call.js";
import { errorStatus } from "./errors.js";
import { readUpgradeBody, refuseUpgrade, serveUpgraded, servePlain } from "./hijack.js";
import { IdleTracker } from "./idle.js";
import { commonHeaders, rawErrorResponse, sendError, sendJson, sendStatus, sendText } from "./response.js";
import { RouteTable, type Route } from "./router.js";

// The Docker Engine API face of skiff (DESIGN.md §1): like cli/, it decodes
// a request, calls an engine verb and encodes the answer, and holds no
// business logic. This file is the HTTP server around the route table:
// node:http with the limits a Docker daemon has (no request timeout, since
// `docker load` and `build` upload for as long as they take; 1 MiB of
// headers, since X-Registry-Config carries every registry's login; long
// keep-alive, since the docker CLI reuses its connection), the version
// prefix, the 404/405 answers, upgrade requests for attach and exec, and the
// idle clock of `skiff system service --time`.

export interface ApiServerOptions {
  routes: Route[];
  /** Seconds without work before onIdle; 0 never. */
  idleSeconds: number;
  onIdle(): void;
  /** One line per request (shown with --log-level debug), and one per engine failure (always shown). */
  log?(line: string, level: "debug" | "error"): void;
}

type Resolved =
  | { kind: "route"; route: Route; params: Record<string, string>; version: string; query: string }
  | { kind: "not-found" }
  | { kind: "method-not-allowed"; allow: string[] }
  | { kind: "error"; error: unknown; plainText: boolean };

const PAGE_NOT_FOUND = `${JSON.stringify({ message: "page not found" })}\n`;

export class ApiServer {
  readonly http: http.Server;
  readonly idle: IdleTracker;
  private readonly table: RouteTable;
  /** Hijacked connections: the HTTP server no longer closes them itself. */
  private readonly upgraded = new Set<Duplex>();

  constructor(private readonly opts: ApiServerOptions) {
    this.table = new RouteTable(opts.routes);
    this.idle = new IdleTracker(opts.idleSeconds, opts.onIdle);
    this.http = http.createServer(
      { requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 120_000, maxHeaderSize: 1 << 20 },
      (req, res) => void this.onRequest(req, res),
    );
    this.http.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.onUpgrade(req, socket, head));
  }

  /**
   * Stop accepting and end idle keep-alive connections. Work in progress
   * finishes, unless `force` (a signal): then every connection is cut,
   * attached ones included; the processes behind them keep running.
   */
  close(opts: { force?: boolean } = {}): Promise<void> {
    this.idle.stop();
    return new Promise((resolve) => {
      this.http.close(() => resolve());
      this.http.closeIdleConnections();
      if (opts.force) this.cutConnections();
    });
  }

  /** Cut every open connection, attached ones included. */
  cutConnections(): void {
    this.http.closeAllConnections();
    for (const s of this.upgraded) s.destroy();
  }

  /** moby's routing: the decoded path, an optional /vX.Y prefix, the version checked only for a path that exists. */
  private resolve(req: IncomingMessage): Resolved {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    let path: string;
    try {
      path = decodeURIComponent(q < 0 ? url : url.slice(0, q));
    } catch {
      return { kind: "error", error: new InvalidArgumentError(`invalid URL escape in ${JSON.stringify(url)}`), plainText: false };
    }
    const { version: asked, path: rest } = splitVersionPrefix(path);
    const match = this.table.match(req.method ?? "GET", rest);
    if (match.kind !== "route") return match;
    try {
      const version = negotiateApiVersion(asked);
      return { kind: "route", route: match.route, params: match.params, version, query: q < 0 ? "" : url.slice(q + 1) };
    } catch (e) {
      return { kind: "error", error: e, plainText: e instanceof ApiVersionError && e.plainText };
    }
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The request counts as work until both its answer is closed and its
    // handler has returned: a pull whose client hung up is still cleaning
    // up, and the idle clock must not end the service under it.
    const done = this.idle.begin();
    let pending = 2;
    const settle = () => {
      if (--pending === 0) done();
    };
    const started = Date.now();
    res.once("close", () => {
      settle();
      this.opts.log?.(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms`, "debug");
    });
    try {
      await this.serve(req, res);
    } finally {
      settle();
    }
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [k, v] of Object.entries(commonHeaders())) res.setHeader(k, v);
    const r = this.resolve(req);
    if (r.kind !== "route") {
      req.resume();
      if (r.kind === "not-found") return sendText(res, 404, PAGE_NOT_FOUND, "application/json");
      if (r.kind === "method-not-allowed") {
        res.setHeader("Allow", r.allow.join(", "));
        return sendJson(res, 405, { message: "method not allowed" });
      }
      return sendError(res, r.error, r.plainText);
    }
    const call = new ApiCall(req, res, r.version, r.params, r.query);
    try {
      if (r.route.handle) {
        await r.route.handle(call);
      } else {
        // A hijack endpoint asked without Upgrade (dockerode's non-hijack mode, `docker exec -d`).
        const session = await r.route.hijack!(call);
        if (session) await servePlain(req, res, session, { stdin: !call.bodyConsumed });
      }
      // A handler with nothing to say answers what Go's net/http does then: 200, empty.
      if (!res.headersSent) sendStatus(res, 200);
    } catch (e) {
      await this.fail(call, res, e);
    } finally {
      if (call.signal.aborted) this.opts.log?.(`${req.method} ${req.url}: the client left; its work has stopped`, "debug");
    }
  }

  /** A handler failed: an error answer, or in-band once a message stream is open, or a cut connection. */
  private async fail(call: ApiCall, res: ServerResponse, e: unknown): Promise<void> {
    // As Docker's daemon logs them: a 5xx is the engine's failure, worth a line where the service's output goes.
    // Work stopped because its client left is no failure.
    if (errorStatus(e) >= 500 && !call.signal.aborted) this.opts.log?.(`${call.method} ${call.req.url}: ${(e as Error)?.message ?? String(e)}`, "error");
    // An upload refused before it was read to the end (a build with a bad
    // parameter): the rest is read first, so that the client, still sending,
    // gets the answer rather than a broken pipe (moby holds its answer back
    // until the body is read, for the same reason).
    if (!res.headersSent && !call.req.complete && !call.req.destroyed) await drained(call.req);
    if (call.openMessageStream) return call.openMessageStream.fail(e);
    if (!res.headersSent) return sendError(res, e);
    res.destroy();
  }

  private async onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const done = this.idle.begin();
    this.upgraded.add(socket);
    socket.once("close", () => {
      this.upgraded.delete(socket);
      done();
    });
    socket.on("error", () => {});
    this.opts.log?.(`${req.method} ${req.url} (upgrade)`, "debug");
    const r = this.resolve(req);
    if (r.kind === "error") return void socket.end(rawErrorResponse(r.error), () => socket.destroy());
    // Unknown paths, and BuildKit's /session and /grpc (h2c): a plain 404, as Docker without BuildKit answers.
    if (r.kind !== "route" || !r.route.hijack) return refuseUpgrade(socket, 404, PAGE_NOT_FOUND);
    let session;
    try {
      const { body, rest } = await readUpgradeBody(req, socket, head);
      const call = new ApiCall(req, undefined, r.version, r.params, r.query, body);
      session = await r.route.hijack(call);
      if (!session) return refuseUpgrade(socket, 200, "");
      await serveUpgraded(socket, session, { apiVersion: r.version, stdinPrefix: rest });
    } catch (e) {
      // Before the 101 the client still reads HTTP: tell it why. After it, only a cut connection is left.
      if (!session && socket.writable) socket.end(rawErrorResponse(e), () => socket.destroy());
      else socket.destroy();
    }
  }
}

/** Read what is left of a request body, discarding it. */
function drained(req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    req.once("end", resolve);
    req.once("close", resolve);
    req.once("error", () => resolve());
    req.resume();
  });
}
