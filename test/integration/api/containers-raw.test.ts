import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { decodePathStat, isGoDir } from "../../../src/api/path-stat.js";
import { isRoot } from "../../helpers/cli.js";
import { demux, fetchBytes, rawRequest, startApiFixture, UPGRADE, type ApiFixture } from "./api-fixture.js";
import { request } from "./service-process.js";

// The container and exec endpoints at the byte level, for what clients
// hide: the 101 and the 200 of a hijack, exec start's body before its
// stdin, a half-close as stdin's end, the exit code readable the moment a
// stream ends, wait's early headers, Docker's 304s, 400s, 404s and 409s,
// both shapes of filters, and many clients at once.

let f: ApiFixture;
beforeAll(async () => {
  if (!isRoot) f = await startApiFixture();
});
afterAll(async () => {
  await f?.stop();
});

const json = { "Content-Type": "application/json" };

async function create(body: Record<string, unknown>, name?: string): Promise<string> {
  const r = await request(f.sock, "POST", `/containers/create${name ? `?name=${name}` : ""}`, JSON.stringify({ Image: "busybox", ...body }), json);
  expect(r.status, r.body).toBe(201);
  return JSON.parse(r.body).Id as string;
}

async function started(body: Record<string, unknown>, name?: string): Promise<string> {
  const id = await create(body, name);
  expect((await request(f.sock, "POST", `/containers/${id}/start`)).status).toBe(204);
  return id;
}

const remove = (id: string) => request(f.sock, "DELETE", `/containers/${id}?force=1`);

async function inspect(id: string): Promise<Record<string, any>> {
  return JSON.parse((await request(f.sock, "GET", `/containers/${id}/json`)).body);
}

/** POST /exec/{id}/start on a raw connection: the JSON body and, in the same write, the first stdin bytes. */
function execStart(execId: string, stdin: string, headers: Record<string, string> = UPGRADE) {
  const body = JSON.stringify({ Detach: false, Tty: false });
  return rawRequest(f.sock, "POST", `/v1.44/exec/${execId}/start`, { ...json, "Content-Length": String(Buffer.byteLength(body)), ...headers }, body + stdin);
}

async function execCreate(container: string, cmd: string[], stdin = true): Promise<string> {
  const r = await request(f.sock, "POST", `/containers/${container}/exec`, JSON.stringify({ Cmd: cmd, AttachStdin: stdin, AttachStdout: true, AttachStderr: true }), json);
  expect(r.status, r.body).toBe(201);
  return JSON.parse(r.body).Id as string;
}

describe.skipIf(isRoot)("hijacked streams", () => {
  let box: string;
  beforeAll(async () => {
    box = await started({ Cmd: ["sleep", "600"] });
  });
  afterAll(async () => {
    await remove(box);
  });

  test("exec start: 101, the body's bytes are not stdin, a half-close ends stdin, the exit code is there when the stream ends", async () => {
    const id = await execCreate(box, ["sh", "-c", "cat; echo to-err >&2; exit 9"]);
    const conn = execStart(id, "first bytes\n");
    const head = await conn.head;
    expect(head.status).toBe(101);
    expect(head.headers).toMatchObject({ "content-type": "application/vnd.docker.multiplexed-stream", connection: "Upgrade", upgrade: "tcp" });
    await conn.received((b) => demux(b).stdout === "first bytes\n");
    conn.socket.write("more\n");
    await conn.received((b) => demux(b).stdout === "first bytes\nmore\n");
    const ended = new Promise<Record<string, unknown>>((resolve) =>
      conn.socket.once("end", () => void request(f.sock, "GET", `/exec/${id}/json`).then((r) => resolve(JSON.parse(r.body)))),
    );
    conn.socket.end();
    const state = await ended;
    expect(state).toMatchObject({ ID: id, Running: false, ExitCode: 9 });
    expect(demux(conn.body())).toEqual({ stdout: "first bytes\nmore\n", stderr: "to-err\n" });
  });

  test("exec start without Upgrade: a streamed 200 whose body is the output; Detach: 200 with nothing; twice: 409", async () => {
    const id = await execCreate(box, ["sh", "-c", "echo plain"], false);
    const conn = execStart(id, "", {});
    const head = await conn.head;
    expect(head.status).toBe(200);
    expect(head.headers["content-type"]).toBe("application/vnd.docker.raw-stream");
    await conn.received((b) => b.includes("plain\n"));
    conn.socket.destroy();
    const detached = await execCreate(box, ["touch", "/tmp/detached"], false);
    const r = await request(f.sock, "POST", `/exec/${detached}/start`, JSON.stringify({ Detach: true }), json);
    expect([r.status, r.body]).toEqual([200, ""]);
    const again = await request(f.sock, "POST", `/exec/${detached}/start`, JSON.stringify({ Detach: true }), json);
    expect(again.status).toBe(409);
    expect((await request(f.sock, "GET", "/exec/nosuchexec/json")).status).toBe(404);
  });

  test("attach: 101 and the multiplexed type with Upgrade, raw-stream before API 1.42, 200 without Upgrade", async () => {
    const id = await create({ Cmd: ["sh", "-c", "echo one; echo two >&2"] });
    const a = rawRequest(f.sock, "POST", `/v1.44/containers/${id}/attach?stream=1&stdout=1&stderr=1`, UPGRADE);
    expect((await a.head).status).toBe(101);
    expect((await a.head).headers["content-type"]).toBe("application/vnd.docker.multiplexed-stream");
    const old = rawRequest(f.sock, "POST", `/v1.41/containers/${id}/attach?stream=1&stdout=1`, UPGRADE);
    expect((await old.head).headers["content-type"]).toBe("application/vnd.docker.raw-stream");
    const plain = rawRequest(f.sock, "POST", `/containers/${id}/attach?stream=1&stdout=1&stderr=1`, { Connection: "close" });
    expect((await plain.head).status).toBe(200);
    // All three attached before the start: each gets the whole output.
    expect((await request(f.sock, "POST", `/containers/${id}/start`)).status).toBe(204);
    await Promise.all([a.ended, old.ended, plain.ended]);
    expect(demux(a.body())).toEqual({ stdout: "one\n", stderr: "two\n" });
    expect(demux(old.body()).stdout).toBe("one\n");
    expect(plain.body().toString()).toContain("one\n");
    await remove(id);
  });

  test("a client that leaves mid-attach leaves the container running", async () => {
    const id = await started({ Cmd: ["sh", "-c", "while true; do echo tick; sleep 0.1; done"] });
    const a = rawRequest(f.sock, "POST", `/containers/${id}/attach?stream=1&stdout=1`, UPGRADE);
    await a.received((b) => demux(b).stdout.includes("tick\n"));
    a.socket.destroy();
    // The next attach sees it still printing.
    const b = rawRequest(f.sock, "POST", `/containers/${id}/attach?stream=1&stdout=1`, UPGRADE);
    await b.received((x) => demux(x).stdout.includes("tick\n"));
    b.socket.destroy();
    expect((await inspect(id)).State.Running).toBe(true);
    await remove(id);
  });

  test("wait before start: the headers at once, the status code after the start and the exit", async () => {
    const id = await create({ Cmd: ["sh", "-c", "exit 42"] });
    const w = rawRequest(f.sock, "POST", `/containers/${id}/wait?condition=next-exit`, {});
    expect((await w.head).status).toBe(200);
    expect((await request(f.sock, "POST", `/containers/${id}/start`)).status).toBe(204);
    const body = await w.received((b) => b.includes("}"));
    expect(JSON.parse(body.toString().replace(/^[0-9a-f]+\r\n/, "").split("\r\n")[0]!)).toEqual({ StatusCode: 42, Error: null });
    w.socket.destroy();
    const removed = await create({ Cmd: ["sh", "-c", "exit 3"], HostConfig: { AutoRemove: true } });
    const gone = request(f.sock, "POST", `/containers/${removed}/wait?condition=removed`);
    await request(f.sock, "POST", `/containers/${removed}/start`);
    const r = await gone;
    expect(JSON.parse(r.body)).toEqual({ StatusCode: 3, Error: null });
    expect((await request(f.sock, "GET", `/containers/${removed}/json`)).status).toBe(404);
    const bad = await request(f.sock, "POST", `/containers/${id}/wait?condition=bogus`);
    expect([bad.status, JSON.parse(bad.body).message]).toEqual([400, 'invalid condition: "bogus"']);
    await remove(id);
  });
});

describe.skipIf(isRoot)("Docker's answers", () => {
  test("create: 404 for a missing image, 409 for a name in use, unknown fields ignored, a string Cmd, warnings", async () => {
    const missing = await request(f.sock, "POST", "/containers/create", JSON.stringify({ Image: "nosuch:1" }), json);
    expect([missing.status, JSON.parse(missing.body)]).toEqual([404, { message: "No such image: nosuch:1" }]);
    const id = await create({ Cmd: "true", SomethingNew: { a: 1 }, HostConfig: { LogConfig: { Type: "syslog", Config: {} }, FutureField: true } }, "taken");
    expect((await inspect(id)).Config.Cmd).toEqual(["true"]);
    const warned = await request(f.sock, "POST", "/containers/create", JSON.stringify({ Image: "busybox", HostConfig: { LogConfig: { Type: "syslog" } } }), json);
    expect(JSON.parse(warned.body).Warnings).toEqual([expect.stringContaining('log driver "syslog" is not supported')]);
    await remove(JSON.parse(warned.body).Id);
    const dup = await request(f.sock, "POST", "/containers/create?name=taken", JSON.stringify({ Image: "busybox" }), json);
    expect(dup.status).toBe(409);
    expect(JSON.parse(dup.body).message).toBe(`Conflict. The container name "/taken" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.`);
    const badType = await request(f.sock, "POST", "/containers/create", JSON.stringify({ Image: "busybox", Env: "A=1" }), json);
    expect(badType.status).toBe(400);
    await remove(id);
    expect((await request(f.sock, "GET", "/containers/nosuch/json")).body).toBe(`${JSON.stringify({ message: "No such container: nosuch" })}\n`);
  });

  test("create with what the docker CLI and compose send: binds, mounts, ports, restart, init, healthcheck, hosts, tmpfs, ulimits, capabilities", async () => {
    const dir = join(f.env.base, "work", "bound");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "file"), "bound content\n");
    const r = await request(
      f.sock,
      "POST",
      "/containers/create?name=full",
      JSON.stringify({
        Image: "busybox",
        Cmd: ["sleep", "600"],
        Labels: { "com.docker.compose.service": "full" },
        ExposedPorts: { "80/tcp": {} },
        Healthcheck: { Test: ["CMD-SHELL", "true"], Interval: 30e9, Timeout: 5e9, Retries: 3 },
        HostConfig: {
          Binds: [`${dir}:/data:ro`],
          Mounts: [{ Type: "tmpfs", Target: "/scratch" }],
          Tmpfs: { "/run/t": "size=1m" },
          PortBindings: { "80/tcp": [{ HostIp: "", HostPort: "" }] },
          RestartPolicy: { Name: "unless-stopped", MaximumRetryCount: 0 },
          Init: true,
          ExtraHosts: ["myhost:10.1.2.3"],
          Ulimits: [{ Name: "nofile", Soft: 1000, Hard: 1000 }],
          CapDrop: ["CHOWN"],
          LogConfig: { Type: "json-file", Config: {} },
          NetworkMode: "default",
        },
        NetworkingConfig: { EndpointsConfig: {} },
      }),
      json,
    );
    expect(r.status, r.body).toBe(201);
    expect(JSON.parse(r.body).Warnings).toEqual([]);
    const id = JSON.parse(r.body).Id as string;
    expect((await request(f.sock, "POST", `/containers/${id}/start`)).status).toBe(204);
    const run = async (cmd: string) => {
      const e = await execCreate(id, ["sh", "-c", cmd], false);
      const out = (await fetchBytes(f.sock, "POST", `/exec/${e}/start`, Buffer.from("{}"), json)).body;
      return { ...demux(out), code: JSON.parse((await request(f.sock, "GET", `/exec/${e}/json`)).body).ExitCode as number };
    };
    expect((await run("cat /data/file; touch /data/x 2>/dev/null || echo read-only")).stdout).toBe("bound content\nread-only\n");
    expect((await run("touch /scratch/a /run/t/b && grep -c -E ' /(scratch|run/t) tmpfs ' /proc/mounts")).stdout).toBe("2\n");
    expect((await run("grep myhost /etc/hosts")).stdout).toMatch(/^10\.1\.2\.3\s+myhost\n$/);
    expect((await run("ulimit -n")).stdout).toBe("1000\n");
    expect((await run("touch /tmp/f; chown 1000 /tmp/f")).code).not.toBe(0);
    expect((await run("cat /proc/1/comm")).stdout).not.toBe("sleep\n");
    const info = await inspect(id);
    expect(info.HostConfig.RestartPolicy).toEqual({ Name: "unless-stopped", MaximumRetryCount: 0 });
    expect(info.Config.Healthcheck).toEqual({ Test: ["CMD-SHELL", "true"], Interval: 30e9, Timeout: 5e9, Retries: 3 });
    expect(info.NetworkSettings.Ports["80/tcp"]).toEqual([{ HostIp: "0.0.0.0", HostPort: expect.stringMatching(/^[1-9]\d*$/) }]);
    await remove(id);
  });

  test("304 for a start of a running and a stop of a stopped container; 409 for kill, rm and exec on the wrong state", async () => {
    const id = await started({ Cmd: ["sleep", "600"] });
    expect((await request(f.sock, "POST", `/containers/${id}/start`)).status).toBe(304);
    const rm = await request(f.sock, "DELETE", `/containers/${id}`);
    expect(rm.status).toBe(409);
    expect(JSON.parse(rm.body).message).toMatch(/^cannot remove container "\/[\w-]+": container is running/);
    expect((await request(f.sock, "POST", `/containers/${id}/stop?t=0`)).status).toBe(204);
    expect((await request(f.sock, "POST", `/containers/${id}/stop`)).status).toBe(304);
    const kill = await request(f.sock, "POST", `/containers/${id}/kill`);
    expect(kill.status).toBe(409);
    expect(JSON.parse(kill.body).message).toContain("is not running");
    expect((await request(f.sock, "POST", `/containers/${id}/exec`, JSON.stringify({ Cmd: ["true"] }), json)).status).toBe(409);
    expect((await request(f.sock, "DELETE", `/containers/${id}`)).status).toBe(204);
  });

  test("list: Names with a leading slash, filters in both JSON shapes, limit; inspect's ports once published", async () => {
    const a = await started({ Cmd: ["sleep", "600"], Labels: { app: "x" }, ExposedPorts: { "80/tcp": {} }, HostConfig: { PortBindings: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "0" }] } } }, "labelled");
    const b = await create({ Labels: { app: "y" } });
    for (const filters of [{ label: { "app=x": true } }, { label: ["app=x"] }]) {
      const r = await request(f.sock, "GET", `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify(filters))}`);
      const list = JSON.parse(r.body) as { Id: string; Names: string[]; Labels: Record<string, string>; State: string; Ports: unknown[] }[];
      expect(list.map((c) => c.Id)).toEqual([a]);
      expect(list[0]).toMatchObject({ Names: ["/labelled"], Labels: { app: "x" }, State: "running" });
      expect(list[0]!.Ports).toEqual([{ IP: "127.0.0.1", PrivatePort: 80, PublicPort: expect.any(Number), Type: "tcp" }]);
    }
    expect(JSON.parse((await request(f.sock, "GET", "/containers/json")).body).map((c: { Id: string }) => c.Id)).not.toContain(b);
    expect(JSON.parse((await request(f.sock, "GET", "/containers/json?limit=1")).body).map((c: { Id: string }) => c.Id)).toEqual([b]);
    const bad = await request(f.sock, "GET", `/containers/json?filters=${encodeURIComponent('{"nope":["x"]}')}`);
    expect([bad.status, JSON.parse(bad.body).message]).toEqual([400, "invalid filter 'nope'"]);
    // testcontainers polls inspect until HostPort "0" has become the real port.
    const ports = (await inspect(a)).NetworkSettings.Ports["80/tcp"] as { HostIp: string; HostPort: string }[];
    expect(ports).toEqual([{ HostIp: "127.0.0.1", HostPort: expect.stringMatching(/^[1-9]\d*$/) }]);
    const sized = JSON.parse((await request(f.sock, "GET", `/containers/${a}/json?size=1`)).body);
    expect(sized.SizeRootFs).toBeGreaterThan(0);
    await remove(a);
    await remove(b);
  });

  test("ten clients at once: creates and lists all answered, every container made once", async () => {
    const ids = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        Promise.all([
          request(f.sock, "POST", `/containers/create?name=crowd${i}`, JSON.stringify({ Image: "busybox", Labels: { crowd: "1" } }), json),
          request(f.sock, "GET", "/containers/json?all=1"),
        ]).then(([c, l]) => {
          expect(c.status, c.body).toBe(201);
          expect(l.status).toBe(200);
          expect(Array.isArray(JSON.parse(l.body))).toBe(true);
          return JSON.parse(c.body).Id as string;
        }),
      ),
    );
    const listed = JSON.parse((await request(f.sock, "GET", `/containers/json?all=1&filters=${encodeURIComponent('{"label":["crowd=1"]}')}`)).body) as { Id: string; Names: string[] }[];
    expect(listed.map((c) => c.Id).sort()).toEqual([...ids].sort());
    expect(listed.flatMap((c) => c.Names).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `/crowd${i}`).sort());
    await Promise.all(ids.map(remove));
  });

  test("logs: multiplexed without a TTY, raw with one; both streams or neither is a 400", async () => {
    const plain = await started({ Cmd: ["sh", "-c", "echo out; echo err >&2"] });
    await request(f.sock, "POST", `/containers/${plain}/wait`);
    const logs = await fetchBytes(f.sock, "GET", `/containers/${plain}/logs?stdout=1&stderr=1`);
    expect(logs.headers["content-type"]).toBe("application/vnd.docker.multiplexed-stream");
    expect(demux(logs.body)).toEqual({ stdout: "out\n", stderr: "err\n" });
    expect(demux((await fetchBytes(f.sock, "GET", `/containers/${plain}/logs?stderr=1`)).body)).toEqual({ stdout: "", stderr: "err\n" });
    const tty = await started({ Tty: true, Cmd: ["sh", "-c", "echo on-a-terminal"] });
    await request(f.sock, "POST", `/containers/${tty}/wait`);
    const raw = await request(f.sock, "GET", `/containers/${tty}/logs?stdout=1`);
    expect(raw.headers["content-type"]).toBe("application/vnd.docker.raw-stream");
    expect(raw.body).toBe("on-a-terminal\r\n");
    const neither = await request(f.sock, "GET", `/containers/${tty}/logs`);
    expect([neither.status, JSON.parse(neither.body).message]).toEqual([400, "Bad parameters: you must choose at least one stream"]);
    await remove(plain);
    await remove(tty);
  });

  test("archive: HEAD's path stat with Go's file mode, GET a tar, PUT with noOverwriteDirNonDir", async () => {
    const id = await create({ Cmd: ["true"] });
    const head = await request(f.sock, "HEAD", `/containers/${id}/archive?path=/etc`);
    expect(head.status).toBe(200);
    const stat = decodePathStat(head.headers["x-docker-container-path-stat"] as string);
    expect(stat.name).toBe("etc");
    expect(isGoDir(stat.mode)).toBe(true);
    const get = await request(f.sock, "GET", `/containers/${id}/archive?path=/etc/passwd`);
    expect(get.headers["content-type"]).toBe("application/x-tar");
    expect(get.body).toContain("root:x:0:0:");
    expect((await request(f.sock, "HEAD", `/containers/${id}/archive?path=/nowhere`)).status).toBe(404);
    // A file named like the directory /etc: refused with noOverwriteDirNonDir.
    const { default: tar } = await import("tar-stream");
    const pack = tar.pack();
    pack.entry({ name: "etc", mode: 0o644 }, "not a directory\n");
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const c of pack) chunks.push(c as Buffer);
    const put = await fetchBytes(f.sock, "PUT", `/containers/${id}/archive?path=/&noOverwriteDirNonDir=1`, Buffer.concat(chunks), { "Content-Type": "application/x-tar" });
    expect(put.status).toBe(400);
    expect(JSON.parse(put.body.toString()).message).toContain('cannot overwrite directory "/etc" with non-directory');
    const changes = JSON.parse((await request(f.sock, "GET", `/containers/${id}/changes`)).body);
    expect(changes).toEqual([]);
    await remove(id);
  });

  test("update: the restart policy changes, resource limits come back as warnings; stats without a stream", async () => {
    const id = await started({ Cmd: ["sleep", "600"] });
    const r = await request(f.sock, "POST", `/containers/${id}/update`, JSON.stringify({ RestartPolicy: { Name: "on-failure", MaximumRetryCount: 2 }, Memory: 1 << 26, CpuShares: 0 }), json);
    expect(r.status, r.body).toBe(200);
    expect(JSON.parse(r.body).Warnings).toEqual([expect.stringMatching(/^Memory not updated: /)]);
    expect((await inspect(id)).HostConfig.RestartPolicy).toEqual({ Name: "on-failure", MaximumRetryCount: 2 });
    const stats = JSON.parse((await request(f.sock, "GET", `/containers/${id}/stats?stream=0`)).body);
    expect(stats).toMatchObject({ id, name: expect.stringMatching(/^\//), pids_stats: { current: 1 }, memory_stats: { usage: expect.any(Number), limit: expect.any(Number) } });
    expect(stats.cpu_stats.system_cpu_usage).toBeGreaterThan(stats.precpu_stats.system_cpu_usage);
    expect(stats.cpu_stats.online_cpus).toBeGreaterThan(0);
    const top = JSON.parse((await request(f.sock, "GET", `/containers/${id}/top?ps_args=-o%20pid,args`)).body);
    expect(top.Titles).toEqual(["PID", "COMMAND"]);
    expect(top.Processes).toEqual([[expect.stringMatching(/^\d+$/), "sleep 600"]]);
    await remove(id);
  });
});
