import { PassThrough, type Duplex, type Readable } from "node:stream";
import Docker from "dockerode";
import tar from "tar-stream";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { isRoot } from "../../helpers/cli.js";
import { startApiFixture, type ApiFixture } from "./api-fixture.js";

// dockerode, the client testcontainers is built on, against the service:
// its ways of creating, filling, attaching to, following and waiting for
// containers, exec with a hijacked stdin, and the network calls.

let f: ApiFixture;
let docker: Docker;
beforeAll(async () => {
  if (isRoot) return;
  f = await startApiFixture();
  docker = new Docker({ socketPath: f.sock });
});
afterAll(async () => {
  await f?.stop();
});

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name, mode: 0o644 }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** stdout and stderr of a multiplexed stream, once it has ended. */
function collect(stream: Readable | Duplex): Promise<{ stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = "";
  let stderr = "";
  out.on("data", (d: Buffer) => (stdout += d.toString()));
  err.on("data", (d: Buffer) => (stderr += d.toString()));
  docker.modem.demuxStream(stream, out, err);
  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      resolve({ stdout, stderr });
    };
    stream.once("end", finish);
    stream.once("close", finish);
  });
}

describe.skipIf(isRoot)("dockerode", () => {
  test("createContainer, putArchive before start (testcontainers' copy), start, wait, logs", async () => {
    const c = await docker.createContainer({ Image: "busybox", Cmd: ["sh", "-c", "cat /opt/app/config.txt; ls -ln /opt/app"] });
    await c.putArchive(await tarOf({ "opt/app/config.txt": "from dockerode\n" }), { path: "/" });
    await c.start();
    expect(await c.wait()).toMatchObject({ StatusCode: 0 });
    const logs = (await c.logs({ stdout: true, stderr: true })) as unknown as Buffer;
    const out = new PassThrough();
    let text = "";
    out.on("data", (d: Buffer) => (text += d.toString()));
    const src = new PassThrough();
    docker.modem.demuxStream(src, out, new PassThrough());
    src.end(logs);
    await new Promise((r) => src.once("end", r));
    expect(text).toMatch(/^from dockerode\n/);
    expect(text).toMatch(/ 0 +0 +15 .* config\.txt\n$/);
    await c.remove();
  });

  test("attach with hijack before start: the whole output, then the exit code from wait", async () => {
    const c = await docker.createContainer({ Image: "busybox", Cmd: ["sh", "-c", "echo out; echo err >&2; exit 2"] });
    const stream = await c.attach({ stream: true, stdout: true, stderr: true, hijack: true });
    const output = collect(stream);
    await c.start();
    expect(await output).toEqual({ stdout: "out\n", stderr: "err\n" });
    expect((await c.wait()).StatusCode).toBe(2);
    await c.remove();
  });

  test("attach with stdin: what is written reaches the process, and its end (StdinOnce) ends it", async () => {
    const c = await docker.createContainer({ Image: "busybox", Cmd: ["sh", "-c", "tr a-z A-Z"], OpenStdin: true, StdinOnce: true, AttachStdin: true });
    const stream = (await c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as unknown as Duplex;
    const output = collect(stream);
    await c.start();
    stream.end("shout\n");
    expect(await output).toEqual({ stdout: "SHOUT\n", stderr: "" });
    expect((await c.wait()).StatusCode).toBe(0);
    await c.remove();
  });

  test("run(): attach without hijack (a plain streamed 200) to a TTY container, start, wait", async () => {
    const out = new PassThrough();
    let text = "";
    out.on("data", (d: Buffer) => (text += d.toString()));
    const [result, c] = (await docker.run("busybox", ["sh", "-c", "echo via run; exit 6"], out)) as [{ StatusCode: number }, Docker.Container];
    expect(result.StatusCode).toBe(6);
    // run() creates with Tty: true by default: one raw stream, the terminal's line endings.
    expect(text).toBe("via run\r\n");
    await c.remove();
  });

  test("exec start with hijack and stdin, demultiplexed; the exit code right after", async () => {
    const c = await docker.createContainer({ Image: "busybox", Cmd: ["sleep", "600"] });
    await c.start();
    const exec = await c.exec({ Cmd: ["sh", "-c", "read line; echo got $line; echo oops >&2; exit 3"], AttachStdin: true, AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: true });
    const output = collect(stream);
    stream.end("ping\n");
    expect(await output).toEqual({ stdout: "got ping\n", stderr: "oops\n" });
    expect(await exec.inspect()).toMatchObject({ Running: false, ExitCode: 3, OpenStdin: true });
    await c.remove({ force: true });
  });

  test("logs with follow: a stream that ends when the container does", async () => {
    const c = await docker.createContainer({ Image: "busybox", Cmd: ["sh", "-c", "echo started; while [ ! -f /tmp/stop ]; do sleep 0.1; done; echo stopping >&2"] });
    await c.start();
    const stream = (await c.logs({ follow: true, stdout: true, stderr: true })) as unknown as Readable;
    const output = collect(stream);
    const exec = await c.exec({ Cmd: ["touch", "/tmp/stop"] });
    await exec.start({ Detach: true });
    expect(await output).toEqual({ stdout: "started\n", stderr: "stopping\n" });
    expect((await c.wait()).StatusCode).toBe(0);
    await c.remove();
  });

  test("networks: create with labels, list (bridge, host, none), inspect by name, connect with an alias", async () => {
    const created = await docker.createNetwork({ Name: "dnet", Labels: { "com.docker.compose.project": "demo" }, CheckDuplicate: true });
    const names = (await docker.listNetworks()).map((n) => n.Name);
    expect(names).toEqual(expect.arrayContaining(["bridge", "host", "none", "dnet"]));
    const info = await docker.getNetwork("dnet").inspect();
    expect(info).toMatchObject({ Id: created.id, Name: "dnet", Driver: "bridge", Labels: { "com.docker.compose.project": "demo" }, Options: {} });
    const filtered = await docker.listNetworks({ filters: { label: ["com.docker.compose.project=demo"] } });
    expect(filtered.map((n) => n.Name)).toEqual(["dnet"]);
    const c = await docker.createContainer({ Image: "busybox", Cmd: ["sleep", "600"] });
    await docker.getNetwork("dnet").connect({ Container: c.id, EndpointConfig: { Aliases: ["worker"] } });
    await c.start();
    const settings = (await c.inspect()).NetworkSettings.Networks.dnet!;
    expect(settings.Aliases).toEqual(expect.arrayContaining(["worker", c.id.slice(0, 12)]));
    expect(settings.IPAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    await docker.getNetwork("dnet").disconnect({ Container: c.id, Force: true });
    await c.remove({ force: true });
    await docker.getNetwork("dnet").remove();
    await expect(docker.getNetwork("dnet").inspect()).rejects.toMatchObject({ statusCode: 404 });
  });
});
