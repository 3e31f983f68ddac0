import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { loadBusybox } from "../../helpers/busybox.js";
import { SkiffEnv } from "../../helpers/cli.js";
import { dockerCli, runClient, startService, type ServiceProcess } from "./service-process.js";

// A store with the generated busybox image and a `skiff system service` on a
// socket of its own, for the tests that judge the container, exec and
// network endpoints through real clients; and the clients' plumbing: the
// docker CLI pointed at it, long-running clients whose output is awaited
// (never slept on), and a raw socket for the bytes clients hide.

export interface ApiFixture {
  env: SkiffEnv;
  svc: ServiceProcess;
  sock: string;
  /** The docker CLI on the service, run to completion. */
  docker(args: string[], input?: string | Buffer): Promise<{ code: number; stdout: string; stderr: string }>;
  /** The docker CLI on the service, left running. */
  dockerProcess(args: string[]): Client;
  /** Environment for a client process that talks to the service. */
  clientEnv: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export async function startApiFixture(): Promise<ApiFixture> {
  const env = new SkiffEnv();
  await loadBusybox(env);
  const sock = join(env.base, "api", "docker.sock");
  const svc = await startService(env, ["--time", "0", `unix://${sock}`]);
  const clientEnv = { DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(env.base, "docker-config") };
  return {
    env,
    svc,
    sock,
    clientEnv,
    docker: (args, input) => runClient(dockerCli!, args, { env: clientEnv, input: input as string }),
    dockerProcess: (args) => startClient(dockerCli!, args, clientEnv),
    stop: async () => {
      await svc.stop();
      env.cleanup();
    },
  };
}

/** A client process left running: its output so far, and promises on what it prints and on its exit. */
export interface Client {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout matches (rejects if the process ends first). */
  printed(pattern: RegExp): Promise<string>;
  exited: Promise<number>;
}

export function startClient(cmd: string, args: string[], env: NodeJS.ProcessEnv): Client {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number>((resolve) => child.once("close", (code) => resolve(code ?? 128)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    printed: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (!pattern.test(out)) return false;
          child.stdout!.off("data", check);
          resolve(out);
          return true;
        };
        if (check()) return;
        child.stdout!.on("data", check);
        void exited.then(() => check() || reject(new Error(`${cmd} ${args.join(" ")} ended before printing ${pattern}:\n${out}\n${err}`)));
      }),
  };
}

/** A raw HTTP/1.1 exchange on the socket that stays open: what clients of the hijack protocol see. */
export interface RawConnection {
  socket: Socket;
  /** The status line and headers, once they have come. */
  head: Promise<{ status: number; headers: Record<string, string> }>;
  /** The bytes after the head so far. */
  body(): Buffer;
  /** Resolves when the server has ended or closed the connection. */
  ended: Promise<void>;
  /** Resolves once the bytes after the head satisfy `test`. */
  received(test: (body: Buffer) => boolean): Promise<Buffer>;
}

export function rawRequest(sock: string, method: string, path: string, headers: Record<string, string>, payload: Buffer | string = ""): RawConnection {
  const socket = connect(sock);
  socket.setNoDelay(true);
  let buf = Buffer.alloc(0);
  let bodyStart = -1;
  let resolveHead!: (h: { status: number; headers: Record<string, string> }) => void;
  const head = new Promise<{ status: number; headers: Record<string, string> }>((r) => (resolveHead = r));
  const waiters: (() => void)[] = [];
  socket.on("data", (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    if (bodyStart < 0) {
      const end = buf.indexOf("\r\n\r\n");
      if (end >= 0) {
        bodyStart = end + 4;
        const [statusLine, ...lines] = buf.subarray(0, end).toString().split("\r\n");
        const h: Record<string, string> = {};
        for (const l of lines) {
          const i = l.indexOf(":");
          h[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
        }
        resolveHead({ status: Number(statusLine!.split(" ")[1]), headers: h });
      }
    }
    for (const w of [...waiters]) w();
  });
  const ended = new Promise<void>((resolve) => {
    socket.once("end", resolve);
    socket.once("close", () => resolve());
  });
  socket.on("error", () => {});
  const body = () => (bodyStart < 0 ? Buffer.alloc(0) : buf.subarray(bodyStart));
  const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const lines = [`${method} ${path} HTTP/1.1`, "Host: docker", ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  socket.write(Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`), bytes]));
  return {
    socket,
    head,
    body,
    ended,
    received: (test) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (!test(body())) return false;
          waiters.splice(waiters.indexOf(check), 1);
          resolve(body());
          return true;
        };
        waiters.push(check);
        if (check()) return;
        void ended.then(() => check() || reject(new Error(`the connection ended first; it carried:\n${body().toString()}`)));
      }),
  };
}

/** Headers of an upgrade request, as the docker CLI sends them. */
export const UPGRADE = { Connection: "Upgrade", Upgrade: "tcp" };

/** The payloads of a multiplexed stream, by stream number. */
export function demux(bytes: Buffer): { stdout: string; stderr: string } {
  const out = { stdout: "", stderr: "" };
  let off = 0;
  while (off + 8 <= bytes.length) {
    const size = bytes.readUInt32BE(off + 4);
    if (off + 8 + size > bytes.length) break;
    const text = bytes.subarray(off + 8, off + 8 + size).toString();
    if (bytes[off] === 2) out.stderr += text;
    else out.stdout += text;
    off += 8 + size;
  }
  return out;
}

/** One request with a binary body, the answer's body as bytes (chunked encoding undone). */
export function fetchBytes(sock: string, method: string, path: string, body?: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: sock, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (d: Buffer) => chunks.push(d));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end(body);
  });
}
