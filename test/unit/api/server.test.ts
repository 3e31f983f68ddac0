import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import type { ApiCall } from "../../../src/api/call.js";
import { NotModified } from "../../../src/api/errors.js";
import type { StreamSession } from "../../../src/api/hijack.js";
import type { Route } from "../../../src/api/router.js";
import { startApiService, type RunningService } from "../../../src/api/service.js";
import { FrameReader } from "../../../src/api/stdcopy.js";
import type { Engine } from "../../../src/engine/engine.js";
import { NotFoundError } from "../../../src/errors.js";

// The server on a real unix socket, with test endpoints whose sessions are
// real processes (sh): status codes and headers, JSON bodies, message
// streams, long polls, and the attach/exec hijack protocol byte by byte.

let dir: string | undefined;
let service: RunningService | undefined;

afterEach(async () => {
  await service?.stop({ force: true });
  service = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A process as an attach session: its stdio, its exit; the exit code recorded in beforeClose. */
function processSession(script: string, opts: { tty?: boolean; record?: (code: number) => void; onGone?: () => void } = {}): StreamSession {
  const child = spawn("sh", ["-c", script], { stdio: ["pipe", "pipe", "pipe"] });
  const exited = new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => resolve(code ?? 128));
  });
  return {
    tty: opts.tty ?? false,
    stdin: child.stdin,
    stdout: child.stdout,
    stderr: child.stderr,
    exited,
    beforeClose: async () => opts.record?.(await exited),
    clientGone: () => {
      opts.onGone?.();
      child.kill();
    },
  };
}

const exitCodes = new Map<string, number>();
const closedBeforeRecord = new Map<string, boolean>();

const routes: Route[] = [
  { method: "GET", path: "/things/{name:.*}/json", handle: async (c) => c.send(200, { Name: c.param("name"), Version: c.apiVersion }) },
  { method: "DELETE", path: "/things/{name:.*}", handle: async (c) => { if (c.param("name") === "missing") throw new NotFoundError(`No such thing: ${c.param("name")}`); c.sendStatus(204); } },
  { method: "POST", path: "/things/{name}/start", handle: async () => { throw new NotModified(); } },
  { method: "POST", path: "/quiet", handle: async () => {} },
  { method: "POST", path: "/things/create", handle: async (c) => c.send(201, { Got: await c.json({ Image: "string", Env: ["string"] }) }) },
  { method: "POST", path: "/small", handle: async (c) => c.send(200, { Size: (await c.body(16)).length }) },
  {
    method: "POST",
    path: "/images/create",
    handle: async (c) => {
      const out = c.messageStream();
      out.status("Pulling from library/busybox", "latest");
      out.progress({ id: "a3ed95caeb02", status: "Pulling fs layer" });
      out.progress({ id: "a3ed95caeb02", status: "Downloading", current: 5, total: 10 });
      throw new Error("manifest unknown");
    },
  },
  {
    // As a pull of an image the registry does not have: the stream is asked for, nothing said yet.
    method: "POST",
    path: "/images/missing/create",
    handle: async (c) => {
      c.messageStream();
      throw new NotFoundError("manifest for busybox:nope not found: manifest unknown: manifest unknown");
    },
  },
  {
    // As a load: the 200 at once, so even the first error is in-band.
    method: "POST",
    path: "/images/load",
    handle: async (c) => {
      c.messageStream({ startNow: true });
      throw new NotFoundError("no archive");
    },
  },
  {
    method: "GET",
    path: "/events",
    handle: async (c) => {
      const res = c.longPoll();
      res.write(`${JSON.stringify({ Type: "container", Action: "start" })}\n`);
      await new Promise<void>((resolve) => c.signal.addEventListener("abort", () => resolve()));
      aborted.push("events");
    },
  },
  { method: "POST", path: "/wait", handle: async (c) => { const res = c.longPoll(); await release; res.end(`${JSON.stringify({ StatusCode: 0, Error: null })}\n`); } },
  {
    method: "POST",
    path: "/exec/{id}/start",
    hijack: async (c: ApiCall) => {
      const body = await c.json<{ Detach?: boolean; Tty?: boolean; Script?: string }>({ Detach: "boolean", Tty: "boolean", Script: "string" });
      if (c.param("id") === "missing") throw new NotFoundError("No such exec instance: missing");
      if (body?.Detach) return undefined;
      const socket = c.req.socket;
      const record = (code: number) => {
        exitCodes.set(c.param("id"), code);
        // The connection must still be open here: clients inspect the exec the moment it closes.
        closedBeforeRecord.set(c.param("id"), socket.writableEnded || socket.destroyed);
      };
      return processSession(body?.Script ?? "cat", { tty: body?.Tty, record, onGone: () => goneCalls.push(c.param("id")) });
    },
  },
  { method: "GET", path: "/exec/{id}/json", handle: async (c) => c.send(200, { ExitCode: exitCodes.get(c.param("id")) ?? null, Running: false }) },
];

let releaseWait!: () => void;
let release = new Promise<void>((r) => (releaseWait = r));
const goneCalls: string[] = [];
const aborted: string[] = [];

async function start(opts: { idleSeconds?: number; log?: (line: string) => void } = {}): Promise<string> {
  dir = mkdtempSync(join(tmpdir(), "skiff-api-server-"));
  const path = join(dir, "api.sock");
  service = await startApiService({ engine: undefined as unknown as Engine, target: { kind: "unix", path }, idleSeconds: opts.idleSeconds ?? 0, routes, log: opts.log });
  return path;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(socketPath: string, method: string, path: string, opts: { body?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path, headers: opts.headers }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}

/** Everything the server sends on a raw connection until it closes it. */
function collect(sock: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  sock.on("data", (d: Buffer) => chunks.push(d));
  return new Promise((resolve, reject) => {
    sock.once("close", () => resolve(Buffer.concat(chunks)));
    sock.once("error", reject);
  });
}

function splitHead(bytes: Buffer): { head: string; rest: Buffer } {
  const end = bytes.indexOf("\r\n\r\n");
  return { head: bytes.subarray(0, end).toString(), rest: bytes.subarray(end + 4) };
}

function frames(bytes: Buffer): string[] {
  return new FrameReader().push(bytes).map((f) => `${f.stream}:${f.payload.toString()}`);
}

const upgradeRequest = (path: string, body: string) =>
  `POST ${path} HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;

describe("HTTP answers", () => {
  test("every answer carries Api-Version, Ostype, Server and Docker-Experimental", async () => {
    const sock = await start();
    for (const [method, path] of [["GET", "/things/a/json"], ["GET", "/nope"], ["PUT", "/things/a/json"], ["GET", "/v1.99/things/a/json"]]) {
      const r = await request(sock, method!, path!);
      expect(r.headers, `${method} ${path}`).toMatchObject({ "api-version": "1.44", ostype: "linux", "docker-experimental": "false" });
      expect(r.headers.server).toMatch(/^skiff\/\S+ \(linux\)$/);
    }
  });

  test("greedy names, the version prefix and the version served", async () => {
    const sock = await start();
    expect(JSON.parse((await request(sock, "GET", "/v1.41/things/127.0.0.1:5000/a/b:1/json")).body)).toEqual({ Name: "127.0.0.1:5000/a/b:1", Version: "1.41" });
    expect(JSON.parse((await request(sock, "GET", "/things/docker.io%2Flibrary%2Fbusybox%3Alatest/json")).body)).toEqual({ Name: "docker.io/library/busybox:latest", Version: "1.44" });
  });

  test("unknown paths are 404 page not found, versioned or not; a known path with another method is 405", async () => {
    const sock = await start();
    for (const path of ["/nope", "/v1.44/nope", "/v1.99/nope", "/v1.44"]) {
      const r = await request(sock, "GET", path);
      expect([r.status, r.body, r.headers["content-type"]], path).toEqual([404, '{"message":"page not found"}\n', "application/json"]);
    }
    const r = await request(sock, "PUT", "/things/x/json");
    // DELETE /things/{name:.*} matches too: a thing may be called "x/json".
    expect([r.status, r.headers.allow, JSON.parse(r.body)]).toEqual([405, "GET, DELETE", { message: "method not allowed" }]);
  });

  test("versions out of range: 400 in moby's words, plain text for clients older than 1.24", async () => {
    const sock = await start();
    const tooNew = await request(sock, "GET", "/v1.45/things/a/json");
    expect([tooNew.status, JSON.parse(tooNew.body)]).toEqual([400, { message: "client version 1.45 is too new. Maximum supported API version is 1.44" }]);
    const tooOld = await request(sock, "GET", "/v1.23/things/a/json");
    expect([tooOld.status, tooOld.headers["content-type"], tooOld.body]).toEqual([
      400,
      "text/plain; charset=utf-8",
      "client version 1.23 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version\n",
    ]);
  });

  test("errors map to statuses; 304 and 204 have no body; a handler with nothing to say answers 200", async () => {
    const sock = await start();
    const missing = await request(sock, "DELETE", "/things/missing");
    expect([missing.status, JSON.parse(missing.body)]).toEqual([404, { message: "No such thing: missing" }]);
    expect(await request(sock, "DELETE", "/things/x")).toMatchObject({ status: 204, body: "" });
    expect(await request(sock, "POST", "/things/x/start")).toMatchObject({ status: 304, body: "" });
    expect(await request(sock, "POST", "/quiet")).toMatchObject({ status: 200, body: "" });
  });

  test("JSON bodies: decoded, malformed or mistyped ones refused with 400", async () => {
    const sock = await start();
    const ok = await request(sock, "POST", "/things/create", { body: '{"Image":"busybox","Env":["A=1"],"Other":{}}', headers: { "Content-Type": "application/json" } });
    expect([ok.status, JSON.parse(ok.body)]).toEqual([201, { Got: { Image: "busybox", Env: ["A=1"], Other: {} } }]);
    expect(JSON.parse((await request(sock, "POST", "/things/create")).body)).toEqual({});
    const bad = await request(sock, "POST", "/things/create", { body: "{bad", headers: { "Content-Type": "application/json" } });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).message).toMatch(/^invalid JSON: /);
    const typed = await request(sock, "POST", "/things/create", { body: '{"Env":"A=1"}' });
    expect([typed.status, JSON.parse(typed.body).message]).toEqual([400, "invalid JSON: json: cannot unmarshal string into Go struct field Env of type []string"]);
    const text = await request(sock, "POST", "/things/create", { body: "{}", headers: { "Content-Type": "text/plain" } });
    expect([text.status, JSON.parse(text.body).message]).toEqual([400, "unsupported Content-Type header (text/plain): must be 'application/json'"]);
    const big = await request(sock, "POST", "/small", { body: "x".repeat(17) });
    expect([big.status, JSON.parse(big.body).message]).toEqual([413, "request body larger than 16 bytes"]);
  });

  test("a message stream is chunked JSON lines, and an error after the 200 travels in-band", async () => {
    const sock = await start();
    const r = await request(sock, "POST", "/images/create?fromImage=busybox");
    expect([r.status, r.headers["content-type"], r.headers["transfer-encoding"], r.headers["content-length"]]).toEqual([200, "application/json", "chunked", undefined]);
    expect(r.body.endsWith("\r\n")).toBe(true);
    expect(r.body.trimEnd().split("\r\n").map((l) => JSON.parse(l))).toEqual([
      { status: "Pulling from library/busybox", id: "latest" },
      { status: "Pulling fs layer", progressDetail: {}, id: "a3ed95caeb02" },
      { status: "Downloading", progressDetail: { current: 5, total: 10 }, progress: `[=========================>${" ".repeat(25)}]       5B/10B`, id: "a3ed95caeb02" },
      { errorDetail: { message: "manifest unknown" }, error: "manifest unknown" },
    ]);
  });

  test("a message stream that fails before its first message is an ordinary error answer; startNow makes every error in-band", async () => {
    const sock = await start();
    const missing = await request(sock, "POST", "/images/missing/create");
    expect([missing.status, missing.headers["content-type"], missing.headers["transfer-encoding"], JSON.parse(missing.body)]).toEqual([
      404,
      "application/json",
      undefined,
      { message: "manifest for busybox:nope not found: manifest unknown: manifest unknown" },
    ]);
    const load = await request(sock, "POST", "/images/load");
    expect([load.status, load.body]).toEqual([200, `${JSON.stringify({ errorDetail: { message: "no archive" }, error: "no archive" })}\r\n`]);
  });

  test("a long poll sends its headers before it has a body (docker run waits for them before it starts)", async () => {
    const sock = await start();
    release = new Promise<void>((r) => (releaseWait = r));
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.request({ socketPath: sock, method: "POST", path: "/wait" }, (res) => {
        expect(res.statusCode).toBe(200);
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => resolve(text));
        releaseWait(); // only the headers can have arrived: the handler is still waiting for this
      });
      req.on("error", reject);
      req.end();
    });
    expect(JSON.parse(body)).toEqual({ StatusCode: 0, Error: null });
  });
});

test("a client that leaves a long poll aborts the call's signal (long work stops)", async () => {
  const sock = await start();
  await new Promise<void>((resolve) => {
    const req = http.request({ socketPath: sock, method: "GET", path: "/events" }, (res) => {
      res.once("data", () => {
        req.destroy();
        resolve();
      });
    });
    req.on("error", () => {}); // the destroy above
    req.end();
  });
  await expect.poll(() => aborted.includes("events"), { timeout: 30_000 }).toBe(true);
});

describe("hijack (attach, exec start)", () => {
  test("101, exactly Content-Length body bytes, the rest is stdin; half-close is EOF; stdcopy frames; exit code recorded before the close", async () => {
    let upgraded!: () => void;
    const seen = new Promise<void>((r) => (upgraded = r));
    const sock = await start({ log: (line) => line.includes("(upgrade)") && upgraded() });
    const body = JSON.stringify({ Detach: false, Tty: false, Script: "cat; echo to-err >&2; exit 3" });
    const client = connect(sock);
    const bytes = collect(client);
    let codeAtClose: number | undefined | null = null;
    client.once("end", () => (codeAtClose = exitCodes.get("e1")));
    // The body is split: part with the headers (Node's `head`), part later, with the first stdin bytes behind it.
    client.write(upgradeRequest("/v1.44/exec/e1/start", body) + body.slice(0, 10));
    await seen;
    client.write(`${body.slice(10)}hello `);
    client.end("stdin\n");
    const { head, rest } = splitHead(await bytes);
    expect(head.split("\r\n")[0]).toBe("HTTP/1.1 101 UPGRADED");
    expect(head).toContain("\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\n");
    expect(head).toContain("\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n");
    expect(frames(rest).sort()).toEqual(["1:hello stdin\n", "2:to-err\n"]);
    expect(codeAtClose).toBe(3);
    expect(closedBeforeRecord.get("e1")).toBe(false);
  });

  test("with a TTY, and below API 1.42, the stream is raw", async () => {
    const sock = await start();
    for (const [path, tty] of [["/v1.44/exec/t1/start", true], ["/v1.41/exec/t2/start", false]] as const) {
      const body = JSON.stringify({ Tty: tty, Script: "printf raw" });
      const client = connect(sock);
      const bytes = collect(client);
      client.end(upgradeRequest(path, body) + body);
      const { head, rest } = splitHead(await bytes);
      expect(head, path).toContain("\r\nContent-Type: application/vnd.docker.raw-stream\r\n");
      if (tty) expect(rest.toString()).toBe("raw");
      else expect(frames(rest)).toEqual(["1:raw"]);
    }
  });

  test("output keeps flowing after the client's half-close", async () => {
    const sock = await start();
    const body = JSON.stringify({ Script: "cat >/dev/null; i=0; while [ $i -lt 200 ]; do echo line $i; i=$((i+1)); done" });
    const client = connect(sock);
    const bytes = collect(client);
    client.end(upgradeRequest("/exec/h1/start", body) + body);
    const out = frames(splitHead(await bytes).rest).join("");
    expect(out.split("\n").filter(Boolean)).toHaveLength(200);
  });

  test("docker-modem's chunked hijack without options: its last-chunk is not stdin", async () => {
    const sock = await start();
    const client = connect(sock);
    const bytes = collect(client);
    client.end("POST /exec/c1/start HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    const { head, rest } = splitHead(await bytes);
    expect(head.split("\r\n")[0]).toBe("HTTP/1.1 101 UPGRADED");
    expect(frames(rest)).toEqual([]);
    expect(exitCodes.get("c1")).toBe(0);
  });

  test("refusals before the stream are whole HTTP answers on the socket; unknown upgrade paths get 404", async () => {
    const sock = await start();
    for (const [path, status, message] of [
      ["/exec/missing/start", "404 Not Found", "No such exec instance: missing"],
      ["/session", "404 Not Found", "page not found"],
      ["/grpc", "404 Not Found", "page not found"],
      ["/v1.99/exec/x/start", "400 Bad Request", "client version 1.99 is too new. Maximum supported API version is 1.44"],
    ]) {
      const client = connect(sock);
      const bytes = collect(client);
      client.write(upgradeRequest(path!, "{}") + "{}");
      const { head, rest } = splitHead(await bytes);
      expect(head.split("\r\n")[0], path).toBe(`HTTP/1.1 ${status}`);
      expect(head).toContain("Content-Type: application/json");
      expect(JSON.parse(rest.toString()), path).toEqual({ message });
    }
  });

  test("without Upgrade: a streamed 200 raw-stream; Detach answers at once", async () => {
    const sock = await start();
    const r = await request(sock, "POST", "/exec/p1/start", { body: JSON.stringify({ Script: "echo out; echo err >&2" }), headers: { "Content-Type": "application/json" } });
    expect([r.status, r.headers["content-type"]]).toEqual([200, "application/vnd.docker.raw-stream"]);
    expect(frames(Buffer.from(r.body, "binary")).sort()).toEqual(["1:out\n", "2:err\n"]);
    expect(exitCodes.get("p1")).toBe(0);
    expect(await request(sock, "POST", "/exec/p2/start", { body: '{"Detach":true}' })).toMatchObject({ status: 200, body: "" });
  });

  test("a client that leaves mid-stream detaches the session", async () => {
    const sock = await start();
    // A close looks like a half-close from here (as to Docker's daemon): the next output finds the client gone.
    const body = JSON.stringify({ Script: "echo ready; cat >/dev/null; while :; do echo tick; sleep 0.1; done" });
    const client = connect(sock);
    client.write(upgradeRequest("/exec/g1/start", body) + body);
    await new Promise<void>((resolve) => client.on("data", (d: Buffer) => d.includes("ready") && resolve()));
    client.destroy();
    await expect.poll(() => goneCalls.includes("g1"), { timeout: 30_000 }).toBe(true);
  });
});

describe("idle time", () => {
  test("an open stream holds the idle clock; it runs out after the stream closes", async () => {
    const events: string[] = [];
    const sock = await start({ idleSeconds: 1, log: (line) => line.startsWith("idle") && events.push("idle") });
    // The stream lasts at least two seconds, longer than the idle time.
    const body = JSON.stringify({ Script: "sleep 2; echo done" });
    const client = connect(sock);
    const bytes = collect(client);
    client.end(upgradeRequest("/exec/i1/start", body) + body);
    expect(frames(splitHead(await bytes).rest)).toEqual(["1:done\n"]);
    events.push("stream closed");
    await service!.stopped;
    expect(events).toEqual(["stream closed", "idle"]);
  });
});
