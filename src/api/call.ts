import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import type { Credentials } from "../registry/auth.js";
import { SkiffError } from "../errors.js";
import { apiVersionAtLeast } from "./api-version.js";
import { checkJsonContentType, checkShape, decodeJson, JSON_BODY_LIMIT, readBody, type Shape } from "./body.js";
import { JsonMessageStream } from "./json-stream.js";
import { Query } from "./query.js";
import { decodeRegistryAuth, decodeRegistryConfig, type RegistryAuth } from "./registry-auth.js";
import { openLongPoll, sendJson, sendStatus } from "./response.js";

// What a handler gets: the request decoded (path parameters, query, body,
// the negotiated API version, auth headers) and the ways to answer. With
// these a handler stays route → decode → verb → encode:
//
//   { method: "GET", path: "/containers/{name:.*}/json",
//     handle: async (c) => c.send(200, inspect(engine, c.param("name"), { size: c.query.bool("size") })) }

export class ApiCall {
  readonly query: Query;
  /** Aborted when the client goes away before the answer is complete: long work should stop. */
  readonly signal: AbortSignal;
  private bodyUsed = false;
  private messages?: JsonMessageStream;

  constructor(
    readonly req: IncomingMessage,
    /** Absent on upgraded connections (attach, exec start), which answer through the session. */
    private readonly response: ServerResponse | undefined,
    /** The API version the request is served at ("1.44" for unprefixed paths). */
    readonly apiVersion: string,
    readonly params: Record<string, string>,
    rawQuery: string,
    /** An upgrade request's body, already taken off the socket. */
    private readonly preread?: Buffer,
  ) {
    this.query = Query.parse(rawQuery);
    const abort = new AbortController();
    this.signal = abort.signal;
    const onClose = () => {
      if (!response || !response.writableFinished) abort.abort();
    };
    (response ?? req.socket).once("close", onClose);
  }

  get method(): string {
    return this.req.method ?? "GET";
  }

  /** A path parameter ({name} in the route). */
  param(name: string): string {
    const v = this.params[name];
    if (v === undefined) throw new SkiffError(`route has no parameter ${name}`);
    return v;
  }

  versionAtLeast(version: string): boolean {
    return apiVersionAtLeast(this.apiVersion, version);
  }

  header(name: string): string | undefined {
    const v = this.req.headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  }

  /** Whether the body was read (a hijack endpoint's unread body is stdin). */
  get bodyConsumed(): boolean {
    return this.bodyUsed;
  }

  /** The whole body as bytes, capped (JSON and small bodies). */
  async body(limit = JSON_BODY_LIMIT): Promise<Buffer> {
    if (this.bodyUsed) throw new SkiffError("request body read twice");
    this.bodyUsed = true;
    return this.preread ?? readBody(this.req, limit);
  }

  /** The body as a stream (tar uploads: build, load, import, archive PUT). */
  bodyStream(): Readable {
    if (this.bodyUsed) throw new SkiffError("request body read twice");
    this.bodyUsed = true;
    if (this.preread) throw new SkiffError("an upgraded request has no body stream");
    return this.req;
  }

  /** The JSON body (undefined when empty), its fields checked against `shape`. */
  async json<T>(shape?: Shape): Promise<T | undefined> {
    const bytes = await this.body();
    if (bytes.length) checkJsonContentType(this.header("content-type"));
    const value = decodeJson(bytes);
    if (shape) checkShape(value, shape);
    return value as T | undefined;
  }

  /** X-Registry-Auth, or undefined for "use skiff's stored logins". */
  registryAuth(): RegistryAuth | undefined {
    return decodeRegistryAuth(this.header("x-registry-auth"));
  }

  /** X-Registry-Config: credentials per registry host. */
  registryConfig(): Map<string, Credentials> {
    return decodeRegistryConfig(this.header("x-registry-config"));
  }

  get res(): ServerResponse {
    if (!this.response) throw new SkiffError("this request was upgraded: answer through its session");
    return this.response;
  }

  /** The answered status line, when a handler needs to know (the server's error path does). */
  get answered(): boolean {
    return this.response ? this.response.headersSent : true;
  }

  send(status: number, value: unknown): void {
    sendJson(this.res, status, value);
  }

  /** 201/204/304, or 200 with nothing to say. */
  sendStatus(status: number): void {
    sendStatus(this.res, status);
  }

  /**
   * A JSON message stream (pull, push, load, build): errors after its first
   * message go in-band; with `startNow` the 200 goes at once and every error does.
   */
  messageStream(opts: { startNow?: boolean } = {}): JsonMessageStream {
    this.messages ??= new JsonMessageStream(this.res, opts);
    return this.messages;
  }

  /** The stream opened by messageStream(), if any (the server reports late errors there). */
  get openMessageStream(): JsonMessageStream | undefined {
    return this.messages;
  }

  /** 200 and headers now, the body later (wait, events, logs --follow, stats). */
  longPoll(contentType = "application/json"): ServerResponse {
    return openLongPoll(this.res, contentType);
  }
}
