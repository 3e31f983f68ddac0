import type { Readable } from "node:stream";
import { Authenticator, type Credentials } from "./auth.js";
import { chooseChallenge } from "./challenge.js";
import { describeEntries, parseErrorBody, RegistryError, statusHint, statusLine, TransportError } from "./errors.js";
import { apiHost, isLoopback } from "./hosts.js";
import { createAgents, destroyAgents, discard, header, readBody, send, type Agents, type HttpResponse } from "./http.js";
import { backoffDelay, DEFAULT_RETRY, isRetryableStatus, parseRetryAfter, sleep, type RetryPolicy } from "./retry.js";

// The connection to one registry host: which scheme it speaks, what
// authentication it wants, and the request loop every API call goes through
// (authorization, redirects, retries with back-off).

export interface RegistryClientOptions {
  /**
   * Allow plain http and unverified certificates for this host. Loopback
   * hosts (localhost, 127.0.0.0/8, ::1) are insecure unless this is false,
   * as in Docker.
   */
  insecure?: boolean;
  credentials?: Credentials;
  /** Inactivity limit for any request: connecting, waiting for headers, and between body bytes. Default 30 s. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** How often a blob read may resume after a dropped connection. Default 5. */
  maxBlobResumes?: number;
}

export type Method = "GET" | "HEAD" | "PUT" | "POST" | "PATCH" | "DELETE";

export interface RequestOptions {
  method: Method;
  /** A path under the registry ("/v2/…"), or an absolute URL the registry handed out (upload Location). */
  target: string | URL;
  scopes: string[];
  headers?: Record<string, string | number>;
  /** A buffer (resent on retries), or a stream factory (never retried here). */
  body?: Buffer | (() => Readable);
  /** Retry transient failures. Default: GET, HEAD, and requests with a buffer body. */
  retry?: boolean;
  /** Follow redirects (GET and HEAD only), dropping credentials when the host changes. */
  followRedirects?: boolean;
  /** Transport errors that must not be retried even when `retry` is set. */
  noRetryErrno?: string[];
}

const MAX_REDIRECTS = 5;

export class RegistrySession {
  readonly host: string;
  readonly insecure: boolean;
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  readonly maxBlobResumes: number;
  readonly auth: Authenticator;
  private readonly agents: Agents = createAgents();
  private base?: Promise<URL>;

  constructor(host: string, opts: RegistryClientOptions = {}) {
    this.host = host;
    this.insecure = opts.insecure ?? isLoopback(host);
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.maxBlobResumes = opts.maxBlobResumes ?? 5;
    this.auth = new Authenticator(
      host,
      opts.credentials,
      (url, init) =>
        this.withRetry(true, [], () =>
          send({ ...init, url, timeoutMs: this.timeoutMs, insecureTls: this.insecureFor(url), agents: this.agents }),
        ),
      this.timeoutMs,
    );
  }

  /** Close idle keep-alive connections. The session stays usable. */
  close(): void {
    destroyAgents(this.agents);
  }

  /** The registry's API root ("https://host/v2/"), found by pinging it once. */
  baseUrl(): Promise<URL> {
    this.base ??= this.ping().catch((e) => {
      this.base = undefined;
      throw e;
    });
    return this.base;
  }

  private insecureFor(url: URL): boolean {
    return url.host === apiHost(this.host) ? this.insecure : isLoopback(url.host);
  }

  /**
   * GET /v2/: learns the scheme and the authentication challenge. Insecure
   * hosts are tried over https first and then plain http, as Docker does; the
   * error reported is the last one.
   */
  private async ping(): Promise<URL> {
    const schemes = this.insecure ? ["https", "http"] : ["https"];
    let last: TransportError | undefined;
    for (const scheme of schemes) {
      const url = new URL(`${scheme}://${apiHost(this.host)}/v2/`);
      let res: HttpResponse;
      try {
        res = await this.withRetry(true, ["ECONNREFUSED", "ENOTFOUND", "ETIMEDOUT", "EPROTO", "ERR_SSL_WRONG_VERSION_NUMBER"], () =>
          send({ method: "GET", url, timeoutMs: this.timeoutMs, insecureTls: this.insecure, agents: this.agents }),
        );
      } catch (e) {
        if (!(e instanceof TransportError)) throw e;
        last = e;
        continue;
      }
      if (res.status === 401) {
        discard(res);
        this.auth.setChallenge(chooseChallenge(header(res, "www-authenticate"), this.host));
        return url;
      }
      if (res.status >= 200 && res.status < 300) {
        discard(res);
        this.auth.setChallenge(undefined);
        return url;
      }
      throw await this.statusError(res, `${this.host} does not look like a registry: GET ${url.pathname} answered ${statusLine(res.status)}`);
    }
    // Already retried where that made sense: callers must not try the whole operation again.
    throw new TransportError(last!.message, { retryable: false, errno: last!.errno, hint: last!.hint, cause: last!.cause });
  }

  /** Run one exchange with retries on transient failures; returns the final response (any status). */
  async withRetry(retry: boolean, noRetryErrno: string[], exchange: () => Promise<HttpResponse>): Promise<HttpResponse> {
    for (let attempt = 1; ; attempt++) {
      const more = retry && attempt < this.retry.attempts;
      let res: HttpResponse;
      try {
        res = await exchange();
      } catch (e) {
        if (!(e instanceof TransportError) || !e.retryable || noRetryErrno.includes(e.errno ?? "")) throw e;
        // Out of tries: outer loops (re-reads, resumes) must not multiply them.
        if (!more) throw retry ? new TransportError(e.message, { retryable: false, errno: e.errno, hint: e.hint, cause: e.cause }) : e;
        await sleep(backoffDelay(this.retry, attempt));
        continue;
      }
      if (!more || !isRetryableStatus(res.status)) return res;
      const after = parseRetryAfter(header(res, "retry-after"));
      if (after !== undefined && after > this.retry.maxRetryAfterMs) return res;
      discard(res);
      await sleep(after ?? backoffDelay(this.retry, attempt));
    }
  }

  /**
   * Run a whole read (request and body) again when the connection fails
   * part-way through the body: request() retries only until the headers.
   */
  async rereading<T>(read: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await read();
      } catch (e) {
        if (!(e instanceof TransportError) || !e.retryable || attempt >= this.retry.attempts) throw e;
        await sleep(backoffDelay(this.retry, attempt));
      }
    }
  }

  /** One API request: authorization, one re-authentication after a 401, redirects, retries. */
  async request(o: RequestOptions): Promise<HttpResponse> {
    const base = await this.baseUrl();
    const url = typeof o.target === "string" ? new URL(o.target, base) : o.target;
    const retry = o.retry ?? (o.method === "GET" || o.method === "HEAD" || Buffer.isBuffer(o.body));
    let reauthenticated = false;
    for (;;) {
      const authorization = await this.auth.header(o.scopes);
      const res = await this.withRetry(retry, o.noRetryErrno ?? [], () => this.exchange(o, url, authorization));
      if (res.status === 401 && !reauthenticated) {
        reauthenticated = true;
        if (this.auth.refresh(header(res, "www-authenticate"), o.scopes, authorization !== undefined)) {
          discard(res);
          continue;
        }
      }
      return res;
    }
  }

  private async exchange(o: RequestOptions, first: URL, authorization: string | undefined): Promise<HttpResponse> {
    const origin = first.origin;
    let url = first;
    for (let hops = 0; ; hops++) {
      const headers: Record<string, string | number> = { ...o.headers };
      // Credentials go only to the registry itself, never to the storage a
      // blob redirect points at (S3, a CDN): those URLs carry their own signature.
      if (authorization && url.origin === origin) headers.Authorization = authorization;
      const body = o.body === undefined || Buffer.isBuffer(o.body) ? o.body : o.body();
      const res = await send({ method: o.method, url, headers, body, timeoutMs: this.timeoutMs, insecureTls: this.insecureFor(url), agents: this.agents });
      const follow = o.followRedirects ?? (o.method === "GET" || o.method === "HEAD");
      if (!follow || ![301, 302, 303, 307, 308].includes(res.status)) return res;
      const location = header(res, "location");
      discard(res);
      if (!location || hops >= MAX_REDIRECTS)
        throw new RegistryError(`${o.method} ${url.pathname}: ${location ? "too many redirects" : "redirect without a Location"}`, res.status, []);
      url = new URL(location, url);
    }
  }

  /** Read an error response into a RegistryError: "<prefix>: <code>: <message>". */
  async statusError(res: HttpResponse, prefix?: string, hint?: string): Promise<RegistryError> {
    let entries: ReturnType<typeof parseErrorBody> = [];
    if (res.body.readable && !res.body.destroyed) {
      try {
        entries = parseErrorBody(await readBody(res, this.timeoutMs, 256 * 1024));
      } catch {
        entries = [];
      }
    }
    const detail = entries.length ? describeEntries(entries) : `received unexpected HTTP status: ${statusLine(res.status)}`;
    return new RegistryError(prefix ? `${prefix}: ${detail}` : detail, res.status, entries, hint ?? statusHint(this.host, res.status));
  }
}
