import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { isRoot, skiffBin, SkiffEnv } from "../../helpers/cli.js";
import { freePort, startRegistry, type TestRegistry } from "../../helpers/registry.js";
import { dockerCli, hasDockerPy, request, runClient, startService, type ServiceProcess } from "./service-process.js";

// `skiff system service` as a user runs it, judged by real clients: the
// docker CLI, docker-py (what docker-compose 1.29 uses), dockerode (what
// testcontainers uses) and raw HTTP where the bytes matter.

describe.skipIf(isRoot)("the service and its clients", () => {
  let e: SkiffEnv;
  let svc: ServiceProcess;
  let sock: string;
  beforeAll(async () => {
    e = new SkiffEnv();
    sock = join(e.base, "api", "docker.sock");
    svc = await startService(e, ["--time", "0", `unix://${sock}`]);
  });
  afterAll(async () => {
    await svc?.stop();
    e?.cleanup();
  });

  const docker = (args: string[]) => runClient(dockerCli!, args, { env: { DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(e.base, "docker-config") } });

  test.skipIf(!dockerCli)("the docker CLI: version, info, system info --format", async () => {
    const version = await docker(["version"]);
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout).toMatch(/^Server: skiff$/m);
    expect(version.stdout).toMatch(/^ {2}API version: {6}1\.44 \(minimum version 1\.24\)$/m);
    expect(version.stdout).toMatch(/^ API version: {7}1\.44 \(downgraded from /m);
    const info = await docker(["info"]);
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toMatch(/^ Security Options:\n {2}rootless$/m);
    expect(info.stdout).toMatch(/^ Docker Root Dir: (.*)$/m);
    expect(info.stdout).toContain(` Docker Root Dir: ${e.storageRoot}\n`);
    expect((await docker(["system", "info", "--format", "{{.OSType}}"])).stdout).toBe("linux\n");
    expect((await docker(["version", "--format", "{{.Server.APIVersion}} {{.Server.Os}}"])).stdout).toBe("1.44 linux\n");
  });

  test("_ping: the headers clients negotiate with; HEAD without a body", async () => {
    for (const method of ["GET", "HEAD"]) {
      const r = await request(sock, method, "/_ping");
      expect(r.status).toBe(200);
      expect(r.body).toBe(method === "GET" ? "OK" : "");
      expect(r.headers).toMatchObject({ "api-version": "1.44", ostype: "linux", "builder-version": "1", "docker-experimental": "false", pragma: "no-cache", swarm: "inactive" });
      expect(r.headers["cache-control"]).toContain("no-cache");
      expect(r.headers.server).toMatch(/^skiff\//);
    }
    expect((await request(sock, "HEAD", "/v1.24/_ping")).status).toBe(200);
  });

  test("versions, unknown paths, bad JSON and the parts skiff has no use for", async () => {
    const tooNew = await request(sock, "GET", "/v1.45/version");
    expect([tooNew.status, JSON.parse(tooNew.body)]).toEqual([400, { message: "client version 1.45 is too new. Maximum supported API version is 1.44" }]);
    const tooOld = await request(sock, "GET", "/v1.19/info");
    expect([tooOld.status, tooOld.body]).toEqual([400, "client version 1.19 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version\n"]);
    const unknown = await request(sock, "GET", "/v1.44/no/such/thing");
    expect([unknown.status, JSON.parse(unknown.body)]).toEqual([404, { message: "page not found" }]);
    const bad = await request(sock, "POST", "/auth", "{not json", { "Content-Type": "application/json" });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).message).toMatch(/^invalid JSON: /);
    const swarm = await request(sock, "GET", "/v1.44/swarm");
    expect([swarm.status, JSON.parse(swarm.body).message]).toEqual([503, expect.stringMatching(/^This node is not a swarm manager/)]);
    expect((await request(sock, "GET", "/plugins")).status).toBe(404);
    expect((await request(sock, "GET", "/distribution/busybox/json")).status).toBe(404);
  });

  test("/version and /info carry the fields clients read", async () => {
    const v = JSON.parse((await request(sock, "GET", "/version")).body);
    expect(v).toMatchObject({ ApiVersion: "1.44", MinAPIVersion: "1.24", Os: "linux", Arch: expect.stringMatching(/^(amd64|arm64|[a-z0-9]+)$/) });
    expect(v.Components[0]).toMatchObject({ Name: "Engine", Details: { ApiVersion: "1.44", MinAPIVersion: "1.24" } });
    const info = JSON.parse((await request(sock, "GET", "/info")).body);
    expect(info).toMatchObject({ OSType: "linux", Containers: 0, Images: 0, IndexServerAddress: "https://index.docker.io/v1/", DockerRootDir: e.storageRoot });
    expect(info.SecurityOptions).toContain("name=rootless");
    expect(info.NCPU).toBeGreaterThan(0);
    expect(info.MemTotal).toBeGreaterThan(0);
    expect(info.OperatingSystem).toBeTruthy();
    expect(Object.keys(info.Runtimes)).toContain(info.DefaultRuntime);
    expect(info.ID).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
  });

  test.skipIf(!hasDockerPy)("docker-py negotiates the version (what docker-compose 1.29 does)", async () => {
    const script = [
      "import docker, json, sys",
      "fixed = docker.DockerClient(base_url=sys.argv[1])",
      "auto = docker.DockerClient(base_url=sys.argv[1], version='auto')",
      "print(json.dumps({'fixed': fixed.api.api_version, 'server': fixed.version()['ApiVersion'], 'auto': auto.api.api_version, 'ping': auto.ping(), 'rootless': 'name=rootless' in auto.info()['SecurityOptions']}))",
    ].join("\n");
    const r = await runClient("/usr/bin/python3", ["-c", script, `unix://${sock}`]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ server: "1.44", auto: "1.44", ping: true, rootless: true });
    expect(out.fixed).toMatch(/^1\.\d+$/);
  });

  test("dockerode (what testcontainers uses): unversioned paths", async () => {
    const client = new Docker({ socketPath: sock });
    expect(String(await client.ping())).toBe("OK");
    expect((await client.version()).ApiVersion).toBe("1.44");
    const info = await client.info();
    expect(info.OSType).toBe("linux");
    expect(info.SecurityOptions).toContain("name=rootless");
  });
});

describe.skipIf(isRoot)("starting and stopping", () => {
  test("the default socket: 0600 in the 0700 run root; skiff info names it; SIGTERM ends the service and removes it", async () => {
    const e = new SkiffEnv();
    try {
      const before = await e.ok(["info"]);
      const path = join(e.runRoot, "skiff.sock");
      expect(before).toContain(` Socket:          ${path} (not listening: start it with skiff system service)\n`);
      expect(before).toContain(` Clients:         export DOCKER_HOST=unix://${path}\n`);
      const svc = await startService(e, ["--time", "0"]);
      expect(svc.stderr()).toContain(`API listening on unix://${path}`);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(statSync(path).isSocket()).toBe(true);
      expect(statSync(e.runRoot).mode & 0o777).toBe(0o700);
      expect(await e.ok(["info"])).toContain(`${path} (listening)`);
      expect(await svc.stop()).toBe(0);
      expect(existsSync(path)).toBe(false);
    } finally {
      e.cleanup();
    }
  });

  test("a directory that does not exist yet is made 0700", async () => {
    const e = new SkiffEnv();
    try {
      const path = join(e.base, "new", "dir", "api.sock");
      const svc = await startService(e, ["--time", "0", `unix://${path}`]);
      expect(statSync(join(e.base, "new", "dir")).mode & 0o777).toBe(0o700);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      await svc.stop();
    } finally {
      e.cleanup();
    }
  });

  test("a second service on the same socket refuses in one line; a dead one's socket file is replaced", async () => {
    const e = new SkiffEnv();
    try {
      const path = join(e.base, "api.sock");
      const first = await startService(e, ["--time", "0", `unix://${path}`]);
      const second = await e.run(["system", "service", "--time", "0", `unix://${path}`]);
      expect(second.code).toBe(1);
      expect(second.stderr).toBe(
        `Error: another service is already listening on ${path}\nHint: stop it first (an idle skiff service exits by itself after --time seconds), or give another address: skiff system service unix:///path/to/other.sock\n`,
      );
      expect((await request(path, "GET", "/_ping")).body).toBe("OK");
      first.child.kill("SIGKILL");
      await first.exited;
      // A SIGKILLed service cannot remove its socket: the next one clears it.
      const stale = join(e.base, "stale.sock");
      const made = await runClient("/usr/bin/python3", ["-c", "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", stale]);
      expect(made.code, made.stderr).toBe(0);
      expect(statSync(stale).isSocket()).toBe(true);
      const third = await startService(e, ["--time", "0", `unix://${stale}`]);
      expect((await request(stale, "GET", "/_ping")).body).toBe("OK");
      await third.stop();
    } finally {
      e.cleanup();
    }
  });

  test("--time 1: the service ends by itself when idle", async () => {
    const e = new SkiffEnv();
    try {
      const path = join(e.base, "idle.sock");
      const svc = await startService(e, ["--time", "1", `unix://${path}`]);
      expect((await request(path, "GET", "/_ping")).status).toBe(200);
      expect(await svc.exited).toBe(0);
      expect(existsSync(path)).toBe(false);
    } finally {
      e.cleanup();
    }
  });

  test("--time 1: a request still uploading holds the service; it ends after the answer", async () => {
    const e = new SkiffEnv();
    try {
      const path = join(e.base, "busy.sock");
      const svc = await startService(e, ["--time", "1", `unix://${path}`]);
      const client = connect(path);
      let answer = "";
      client.on("data", (d: Buffer) => (answer += d.toString()));
      const closed = new Promise<void>((r) => client.once("close", () => r()));
      client.write("POST /auth HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: 20\r\n\r\n{");
      // Not a synchronisation: a window three times the idle time in which the service must not end.
      await sleep(3000);
      expect(svc.child.exitCode).toBeNull();
      expect((await request(path, "GET", "/_ping")).body).toBe("OK");
      client.write('"x":1}             ');
      await closed;
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(await svc.exited).toBe(0);
    } finally {
      e.cleanup();
    }
  });

  test("socket activation: the socket systemd would pass as fd 3 (LISTEN_FDS, LISTEN_PID) is served, from inside the namespace", async () => {
    const e = new SkiffEnv();
    try {
      const path = join(e.base, "activated.sock");
      // What systemd does: bind and listen, put the socket on fd 3, name the pid that gets it, exec the service.
      const launcher = [
        "import os, socket, sys",
        "s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)",
        "s.bind(sys.argv[1]); s.listen(16)",
        "if s.fileno() != 3: os.dup2(s.fileno(), 3)",
        "os.set_inheritable(3, True)",
        "os.execve(sys.argv[2], sys.argv[2:], dict(os.environ, LISTEN_FDS='1', LISTEN_PID=str(os.getpid())))",
      ].join("\n");
      const svc = await startService(e, [], { command: ["/usr/bin/python3", "-c", launcher, path, process.execPath, skiffBin, "system", "service", "--time", "0"] });
      expect(svc.stderr()).toContain("API listening on the socket passed by systemd");
      expect((await request(path, "GET", "/_ping")).body).toBe("OK");
      const info = JSON.parse((await request(path, "GET", "/info")).body);
      expect(info.SecurityOptions).toContain("name=rootless");
      // The default socket was not made: the activated one is the service's only listener.
      expect(existsSync(join(e.runRoot, "skiff.sock"))).toBe(false);
      expect(await svc.stop()).toBe(0);
      // The socket belongs to whoever passed it: it stays.
      expect(statSync(path).isSocket()).toBe(true);
    } finally {
      e.cleanup();
    }
  });

  test("tcp:// only when asked: loopback, with a warning", async () => {
    const e = new SkiffEnv();
    try {
      const port = await freePort();
      const svc = await startService(e, ["--time", "0", `tcp://:${port}`]);
      expect(svc.stderr()).toContain(`WARNING: the API on tcp://127.0.0.1:${port} has no TLS and no authentication: anyone on this host controls your containers`);
      const body = await new Promise<string>((resolve, reject) => {
        const s = connect(port, "127.0.0.1", () => s.end("GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        let text = "";
        s.on("data", (d: Buffer) => (text += d.toString()));
        s.on("end", () => resolve(text));
        s.on("error", reject);
      });
      expect(body).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nOK$/);
      await svc.stop();
    } finally {
      e.cleanup();
    }
  });

  test("bad arguments are one line and a hint", async () => {
    const e = new SkiffEnv();
    try {
      const time = await e.run(["system", "service", "--time", "soon"]);
      expect([time.code, time.stderr]).toEqual([1, 'Error: invalid argument "soon" for "-t, --time" flag: must be a whole number of seconds\nHint: give --time 0 to never stop, or e.g. --time 60\n']);
      const scheme = await e.run(["system", "service", "ftp://x"]);
      expect([scheme.code, scheme.stderr]).toEqual([1, 'Error: unsupported address "ftp://x": only unix:// and tcp:// are served\nHint: give unix:///absolute/path.sock or tcp://127.0.0.1:PORT\n']);
      const relative = await e.run(["system", "service", "unix://x.sock"]);
      expect(relative.stderr).toMatch(/^Error: invalid socket address "unix:\/\/x\.sock": the path must be absolute\n/);
    } finally {
      e.cleanup();
    }
  });

  test("--install writes the systemd user units for this skiff", async () => {
    const e = new SkiffEnv();
    try {
      const out = await e.ok(["system", "service", "--install"]);
      const dir = join(e.base, "config", "systemd", "user");
      expect(out).toContain(`Wrote ${join(dir, "skiff.socket")}\n`);
      expect(out).toContain("  systemctl --user enable --now skiff.socket\n");
      expect(out).toContain(`  export DOCKER_HOST=unix://${join(e.runRoot, "skiff.sock")}\n`);
      const socketUnit = readFileSync(join(dir, "skiff.socket"), "utf8");
      expect(socketUnit).toContain("\nListenStream=%t/skiff/skiff.sock\nSocketMode=0600\nDirectoryMode=0700\n");
      const serviceUnit = readFileSync(join(dir, "skiff.service"), "utf8");
      expect(serviceUnit).toContain(`\nExecStart=${process.execPath} ${skiffBin} system service\n`);
      expect(serviceUnit).toContain("\nKillMode=process\n");
      expect(serviceUnit).toContain("\nRequires=skiff.socket\n");
      // Without XDG_RUNTIME_DIR the CLI keeps its state in /tmp: the service is told to use the same.
      await e.ok(["system", "service", "--install"], { env: { XDG_RUNTIME_DIR: undefined } });
      const fallback = `/tmp/skiff-run-${process.getuid!()}`;
      expect(readFileSync(join(dir, "skiff.socket"), "utf8")).toContain(`\nListenStream=${fallback}/skiff.sock\n`);
      expect(readFileSync(join(dir, "skiff.service"), "utf8")).toContain(`\nExecStart=${process.execPath} ${skiffBin} --runroot ${fallback} system service\n`);
    } finally {
      e.cleanup();
    }
  });
});

describe.skipIf(isRoot || !dockerCli)("docker login through the socket", () => {
  const password = "s3cret-Pa55-word";
  let reg: TestRegistry;
  let e: SkiffEnv;
  let svc: ServiceProcess;
  let sock: string;
  beforeAll(async () => {
    reg = await startRegistry({ auth: "htpasswd", users: { alice: password } });
    e = new SkiffEnv();
    sock = join(e.base, "api.sock");
    svc = await startService(e, ["--time", "0", `unix://${sock}`]);
  });
  afterAll(async () => {
    await svc?.stop();
    e?.cleanup();
    await reg?.stop();
  });

  test("the registry checks the password; the docker CLI keeps the login, skiff's own files are untouched", async () => {
    const config = join(e.base, "docker-config");
    mkdirSync(config, { recursive: true });
    const env = { DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: config };
    const wrong = await runClient(dockerCli!, ["login", "-u", "alice", "--password-stdin", reg.host], { env, input: "nope\n" });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^Error response from daemon: .*unauthorized/m);
    expect(existsSync(join(config, "config.json")) && JSON.parse(readFileSync(join(config, "config.json"), "utf8")).auths?.[reg.host]).toBeFalsy();
    const right = await runClient(dockerCli!, ["login", "-u", "alice", "--password-stdin", reg.host], { env, input: `${password}\n` });
    expect(right.code, right.stderr).toBe(0);
    expect(right.stdout).toContain("Login Succeeded");
    const saved = JSON.parse(readFileSync(join(config, "config.json"), "utf8")) as { auths: Record<string, { auth: string }> };
    expect(Buffer.from(saved.auths[reg.host]!.auth, "base64").toString()).toBe(`alice:${password}`);
    expect(existsSync(join(e.base, "run", "containers", "auth.json"))).toBe(false);
    expect(right.stdout + right.stderr).not.toContain(password);
  });
});
