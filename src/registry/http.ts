import http, { type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import https from "node:https";
import { Readable } from "node:stream";
import { TransportError, transportError } from "./errors.js";

// One HTTP exchange with a registry, on node:http/node:https directly rather
// than fetch: we need the socket (idle limits that know about back-pressure),
// streamed request bodies, and the raw errno of a failed connection to say
// what went wrong the way Docker does.

export const USER_AGENT = "skiff/0.1.0";

export interface HttpRequest {
  method: string;
  url: URL;
  headers?: Record<string, string | number>;
  /** A buffer, or a stream sent as it comes (its length is the caller's Content-Length). */
  body?: Buffer | Readable;
  /** Inactivity limit (ms) from connecting until the response headers arrive. */
  timeoutMs: number;
  /** Accept self-signed or mismatched certificates (hosts configured insecure). */
  insecureTls?: boolean;
  agents?: Agents;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  url: URL;
  /** The body, not yet read: read it with readBody/bodyChunks or discard it. */
  body: IncomingMessage;
}

export interface Agents {
  http: http.Agent;
  https: https.Agent;
  insecureHttps: https.Agent;
}

/** Keep-alive agents for one client: idle sockets are unref'd, so they never hold the process open. */
export function createAgents(): Agents {
  const opts = { keepAlive: true, maxSockets: 16 };
  return {
    http: new http.Agent(opts),
    https: new https.Agent(opts),
    insecureHttps: new https.Agent({ ...opts, rejectUnauthorized: false }),
  };
}

export function destroyAgents(a: Agents): void {
  a.http.destroy();
  a.https.destroy();
  a.insecureHttps.destroy();
}

export function send(req: HttpRequest): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const isHttps = req.url.protocol === "https:";
    const agent = req.agents ? (isHttps ? (req.insecureTls ? req.agents.insecureHttps : req.agents.https) : req.agents.http) : undefined;
    const headers: Record<string, string | number> = { "User-Agent": USER_AGENT, ...req.headers };
    if (Buffer.isBuffer(req.body)) headers["Content-Length"] = req.body.length;
    const options: https.RequestOptions = { method: req.method, headers, agent };
    if (isHttps && req.insecureTls) options.rejectUnauthorized = false;
    const request = (isHttps ? https : http).request(req.url, options);
    let bodyDone = req.body === undefined || Buffer.isBuffer(req.body);
    let bodyError: unknown;
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      if (req.body instanceof Readable && !bodyDone) req.body.destroy(); // release the caller's file or stream
      // A failing source (a file, a count check) is the caller's error, not the network's.
      if (bodyError !== undefined) reject(bodyError);
      else reject(err instanceof TransportError ? err : transportError(req.method, req.url, err));
    };
    // The socket's inactivity timer also runs while a streamed body waits on
    // a slow source; that silence is the source's, not the registry's.
    request.setTimeout(req.timeoutMs, () => {
      if (!bodyDone && !request.writableNeedDrain) return;
      request.destroy(transportError(req.method, req.url, { code: "ETIMEDOUT", timeoutMs: req.timeoutMs }));
    });
    request.on("error", fail);
    request.on("response", (res) => {
      if (settled) {
        res.destroy();
        return;
      }
      settled = true;
      request.setTimeout(0);
      if (!bodyDone && req.body instanceof Readable) {
        // The registry answered before taking the whole body (an auth or
        // size error): stop sending, and do not reuse this connection.
        req.body.unpipe(request);
        req.body.destroy();
        res.on("end", () => request.destroy());
      }
      resolve({ status: res.statusCode ?? 0, headers: res.headers, url: req.url, body: res });
    });
    if (req.body instanceof Readable) {
      const body = req.body;
      body.on("error", (e) => {
        bodyError = e;
        request.destroy(e);
      });
      body.on("end", () => (bodyDone = true));
      body.pipe(request);
    } else {
      request.end(req.body);
    }
  });
}

/**
 * The chunks of a response body, failing with a timeout when the registry
 * sends nothing for idleMs while we are waiting for it. Time the consumer
 * spends between chunks is not counted: a slow disk is not a dead registry.
 * One timer per body, re-armed per chunk (a timer per chunk costs a third of
 * the throughput on a fast link).
 */
export async function* bodyChunks(res: HttpResponse, idleMs: number, what = "reading response body"): AsyncGenerator<Buffer> {
  let waiting = false;
  const timer = setTimeout(function idle() {
    if (!waiting) return void timer.refresh();
    res.body.destroy(transportError("", res.url, { code: "ETIMEDOUT", timeoutMs: idleMs, during: what }));
  }, idleMs);
  try {
    const it = res.body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    for (;;) {
      waiting = true;
      timer.refresh();
      let step: IteratorResult<Buffer>;
      try {
        step = await it.next();
      } catch (e) {
        throw e instanceof TransportError ? e : transportError("", res.url, e, what);
      }
      waiting = false;
      if (step.done) return;
      yield step.value;
    }
  } finally {
    clearTimeout(timer);
    if (!res.body.complete) res.body.destroy();
  }
}

/** Read a whole (small) body, refusing it past `limit` bytes without reading further. */
export async function readBody(res: HttpResponse, idleMs: number, limit = 1 << 20, tooLarge?: () => Error): Promise<Buffer> {
  const declared = Number(res.headers["content-length"]);
  const refuse = () => {
    res.body.destroy();
    return tooLarge ? tooLarge() : new TransportError(`response from ${res.url.host} is larger than ${limit} bytes`, { retryable: false });
  };
  if (Number.isFinite(declared) && declared > limit) throw refuse();
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of bodyChunks(res, idleMs)) {
    n += chunk.length;
    if (n > limit) throw refuse();
    parts.push(chunk);
  }
  return Buffer.concat(parts, n);
}

/**
 * Throw the body away so the socket can go back to the pool: small bodies
 * are drained (a keep-alive socket is reused only once its response has
 * ended), big or unbounded ones cut off by closing the connection.
 */
export function discard(res: HttpResponse): void {
  const body = res.body;
  if (body.destroyed || body.readableEnded) return;
  const len = Number(res.headers["content-length"]);
  if (Number.isFinite(len) && len > 64 * 1024 && !body.complete) {
    body.destroy();
    return;
  }
  let seen = 0;
  body.on("data", (c: Buffer) => {
    seen += c.length;
    if (seen > 64 * 1024) body.destroy();
  });
  body.on("error", () => undefined);
  body.setTimeout(30_000, () => body.destroy()); // a stalled leftover must not hold a pooled socket
  body.resume();
}

export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(", ") : v;
}
