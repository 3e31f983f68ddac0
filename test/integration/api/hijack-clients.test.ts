import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { release, tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { StreamSession } from "../../../src/api/hijack.js";
import type { Route } from "../../../src/api/router.js";
import { startApiService, type RunningService } from "../../../src/api/service.js";
import { versionInfo } from "../../../src/engine/version.js";
import type { Engine } from "../../../src/engine/engine.js";
import { NotFoundError } from "../../../src/errors.js";
import { dockerCli, hasDockerPy, runClient } from "./service-process.js";

// The hijack protocol judged by the clients that speak it: `docker exec`
// (docker CLI 28), docker-py's exec_start and dockerode's exec with
// hijack. The endpoints here are the smallest exec API there is — the
// process runs on the host, not in a container — so that the server's
// half of the protocol is what is tested: the 101, the body before stdin,
// the half-close, the framing, the close after the exit code is recorded.

interface ExecRecord {
  cmd: string[];
  tty: boolean;
  exitCode: number | null;
  running: boolean;
}

const execs = new Map<string, ExecRecord>();
let nextId = 0;

function session(rec: ExecRecord): StreamSession {
  const child = spawn(rec.cmd[0]!, rec.cmd.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
  rec.running = true;
  const exited = new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => resolve(code ?? 128));
  });
  // With a TTY there is one stream: stderr joins stdout, as a terminal would have it.
  let stdout: NodeJS.ReadableStream = child.stdout;
  if (rec.tty) {
    const merged = new PassThrough();
    let open = 2;
    for (const s of [child.stdout, child.stderr]) {
      s.on("data", (d: Buffer) => merged.write(d));
      s.once("end", () => --open === 0 && merged.end());
    }
    stdout = merged;
  }
  return {
    tty: rec.tty,
    stdin: child.stdin,
    stdout: stdout as StreamSession["stdout"],
    stderr: rec.tty ? undefined : child.stderr,
    exited,
    beforeClose: async () => {
      rec.exitCode = await exited;
      rec.running = false;
    },
    clientGone: () => child.kill(),
  };
}

const routes: Route[] = [
  { method: "GET", path: "/version", handle: async (c) => c.send(200, versionInfo(release())) },
  {
    method: "GET",
    path: "/containers/{name:.*}/json",
    handle: async (c) => {
      if (c.param("name") !== "box") throw new NotFoundError(`No such container: ${c.param("name")}`);
      c.send(200, { Id: "b0x", Name: "/box", Config: { Tty: false }, State: { Status: "running", Running: true } });
    },
  },
  {
    method: "POST",
    path: "/containers/{name:.*}/exec",
    handle: async (c) => {
      const body = await c.json<{ Cmd: string[]; Tty?: boolean }>({ Cmd: ["string"], Tty: "boolean" });
      const id = `exec${++nextId}`;
      execs.set(id, { cmd: body!.Cmd, tty: Boolean(body!.Tty), exitCode: null, running: false });
      c.send(201, { Id: id });
    },
  },
  {
    method: "POST",
    path: "/exec/{id}/start",
    hijack: async (c) => {
      const body = await c.json<{ Detach?: boolean; Tty?: boolean }>({ Detach: "boolean", Tty: "boolean" });
      const rec = execs.get(c.param("id"));
      if (!rec) throw new NotFoundError(`No such exec instance: ${c.param("id")}`);
      if (body?.Detach) return undefined;
      return session(rec);
    },
  },
  { method: "POST", path: "/exec/{id}/resize", handle: async (c) => c.sendStatus(200) },
  {
    method: "GET",
    path: "/exec/{id}/json",
    handle: async (c) => {
      const rec = execs.get(c.param("id"));
      if (!rec) throw new NotFoundError(`No such exec instance: ${c.param("id")}`);
      c.send(200, { ID: c.param("id"), Running: rec.running, ExitCode: rec.exitCode, ProcessConfig: { tty: rec.tty, entrypoint: rec.cmd[0], arguments: rec.cmd.slice(1) } });
    },
  },
];

let dir: string;
let sock: string;
let service: RunningService;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "skiff-hijack-"));
  sock = join(dir, "api.sock");
  service = await startApiService({ engine: undefined as unknown as Engine, target: { kind: "unix", path: sock }, idleSeconds: 0, routes });
});

afterAll(async () => {
  await service?.stop({ force: true });
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!dockerCli)("docker exec", () => {
  const docker = (args: string[], input?: string) => runClient(dockerCli!, args, { env: { DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(dir, "docker-config") }, input });

  test("-i: stdin in, stdout and stderr apart, the exit code after the stream", async () => {
    const r = await docker(["exec", "-i", "box", "sh", "-c", "tr a-z A-Z; echo to-stderr >&2; exit 3"], "hello from stdin\n");
    expect(r).toEqual({ code: 3, stdout: "HELLO FROM STDIN\n", stderr: "to-stderr\n" });
  });

  test("large input and output pass whole", async () => {
    const input = Array.from({ length: 20000 }, (_, i) => `line ${i}`).join("\n") + "\n";
    const r = await docker(["exec", "-i", "box", "cat"], input);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(input);
  });

  test("without -i the process gets no input, and an exit code of 0 is 0", async () => {
    const r = await docker(["exec", "box", "sh", "-c", "cat; echo done"]);
    expect(r).toEqual({ code: 0, stdout: "done\n", stderr: "" });
  });

  test("-t: one raw stream", async () => {
    const r = await docker(["exec", "-t", "box", "sh", "-c", "echo out; echo err >&2"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split("\n").filter(Boolean).sort()).toEqual(["err", "out"]);
  });

  test("-d answers at once; an unknown container is the daemon's 404", async () => {
    expect((await docker(["exec", "-d", "box", "true"])).code).toBe(0);
    const missing = await docker(["exec", "nope", "true"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("Error response from daemon: No such container: nope\n");
  });
});

test.skipIf(!hasDockerPy)("docker-py exec_start: demultiplexed output, exit code", async () => {
  const script = [
    "import docker, json, sys",
    "c = docker.APIClient(base_url=sys.argv[1], version='auto')",
    "e = c.exec_create('box', ['sh', '-c', 'echo out; echo err >&2; exit 4'])",
    "out, err = c.exec_start(e['Id'], demux=True)",
    "print(json.dumps({'out': out.decode(), 'err': err.decode(), 'code': c.exec_inspect(e['Id'])['ExitCode']}))",
  ].join("\n");
  const r = await runClient("/usr/bin/python3", ["-c", script, `unix://${sock}`]);
  expect(r.code, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout)).toEqual({ out: "out\n", err: "err\n", code: 4 });
});

test("dockerode exec with hijack and stdin (testcontainers' way)", async () => {
  const docker = new Docker({ socketPath: sock });
  const exec = await docker.getContainer("box").exec({ Cmd: ["sh", "-c", "read line; echo got $line; echo oops >&2"], AttachStdin: true, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: true });
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = "";
  let stderr = "";
  out.on("data", (d: Buffer) => (stdout += d.toString()));
  err.on("data", (d: Buffer) => (stderr += d.toString()));
  docker.modem.demuxStream(stream, out, err);
  stream.end("ping\n");
  await new Promise<void>((resolve) => stream.once("close", () => resolve()));
  expect({ stdout, stderr }).toEqual({ stdout: "got ping\n", stderr: "oops\n" });
  expect((await exec.inspect()).ExitCode).toBe(0);
});
