import { request } from "node:http";
import { createServer, connect, type Server } from "node:net";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SkiffEnv, isRoot } from "../../helpers/cli.js";
import { loadBusybox } from "../../helpers/busybox.js";

// Published ports through slirp4netns: -p forms, -P, what ps, port and
// inspect show, and the refusals that must come before the container starts.

let env: SkiffEnv;
beforeAll(async () => {
  env = new SkiffEnv();
  await loadBusybox(env, "busybox:latest", [
    { path: "www/", type: "dir" },
    { path: "www/index.html", content: "served from the container\n" },
  ]);
  await loadBusybox(env, "webapp:latest", [{ path: "www/", type: "dir" }, { path: "www/index.html", content: "webapp\n" }], {
    ExposedPorts: { "80/tcp": {}, "8443/tcp": {} },
    Cmd: ["httpd", "-f", "-p", "80", "-h", "/www"],
  });
});
afterAll(async () => {
  await env?.run(["rm", "-f", "-a"]).catch(() => {});
  env?.cleanup();
});

/** GET http://host:port/ with retries while the server comes up. */
async function get(port: number, host = "127.0.0.1", ms = 5000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await new Promise<string>((resolve, reject) => {
        const req = request({ host, port, path: "/", timeout: 2000 }, (res) => {
          let body = "";
          res.on("data", (d: Buffer) => (body += d.toString()));
          res.on("end", () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`status ${res.statusCode}`))));
        });
        req.on("error", reject);
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.end();
      });
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function fetchBytes(port: number, path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () => (res.statusCode === 200 ? resolve(Buffer.concat(parts)) : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Command names of living (not zombie) processes whose arguments mention `word`. */
function livingProcessesNaming(word: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z") continue;
      const args = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (args.includes(word)) out.push(readFileSync(`/proc/${pid}/comm`, "utf8").trim());
    } catch {
      /* gone */
    }
  }
  return out.filter((c) => c.startsWith("slirp4netns") || c.startsWith("skiff-slirp"));
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

describe.skipIf(isRoot)("published ports", () => {
  test("busybox httpd on port 80 answers on the published host port; ps, port and inspect show it", async () => {
    const hostPort = await freePort();
    const id = (await env.ok(["run", "-d", "--name", "web", "-p", `${hostPort}:80`, "busybox", "httpd", "-f", "-p", "80", "-h", "/www"])).trim();
    expect(await get(hostPort)).toBe("served from the container\n");
    const ps = await env.ok(["ps", "--format", "{{.Names}} {{.Ports}}"]);
    expect(ps).toContain(`web 0.0.0.0:${hostPort}->80/tcp`);
    expect(await env.ok(["port", "web"])).toBe(`80/tcp -> 0.0.0.0:${hostPort}\n`);
    expect(await env.ok(["port", "web", "80"])).toBe(`0.0.0.0:${hostPort}\n`);
    const [info] = JSON.parse(await env.ok(["inspect", id]));
    expect(info.NetworkSettings).toMatchObject({
      IPAddress: "10.0.2.100",
      Gateway: "10.0.2.2",
      IPPrefixLen: 24,
      Ports: { "80/tcp": [{ HostIp: "0.0.0.0", HostPort: String(hostPort) }] },
    });
    expect(info.NetworkSettings.MacAddress).toMatch(/^02:42(:[0-9a-f]{2}){4}$/);
    expect(info.HostConfig.PortBindings).toEqual({ "80/tcp": [{ HostIp: "", HostPort: String(hostPort) }] });
    // Stopped: no ports, no address (Docker's view), and the forwarder is gone with it.
    await env.ok(["stop", "-t", "1", "web"]);
    const [stopped] = JSON.parse(await env.ok(["inspect", id]));
    expect(stopped.NetworkSettings.Ports).toEqual({});
    expect(stopped.NetworkSettings.IPAddress).toBe("");
    await expect(get(hostPort, "127.0.0.1", 500)).rejects.toThrow();
    // Started again, the same binding works again.
    await env.ok(["start", "web"]);
    expect(await get(hostPort)).toBe("served from the container\n");
    await env.ok(["rm", "-f", "web"]);
  });

  test("two containers publish different ports at once; ip:hostPort:ctrPort binds only that address", async () => {
    const [a, b] = [await freePort(), await freePort()];
    await env.ok(["run", "-d", "--name", "one", "-p", `${a}:80`, "busybox", "sh", "-c", "echo one > /tmp/index.html; httpd -f -p 80 -h /tmp"]);
    await env.ok(["run", "-d", "--name", "two", "-p", `127.0.0.1:${b}:8080`, "busybox", "sh", "-c", "echo two > /tmp/index.html; httpd -f -p 8080 -h /tmp"]);
    try {
      expect(await get(a)).toBe("one\n");
      expect(await get(b)).toBe("two\n");
      expect(await env.ok(["port", "two"])).toBe(`8080/tcp -> 127.0.0.1:${b}\n`);
      const ps = await env.ok(["ps", "--format", "{{.Names}}={{.Ports}}"]);
      expect(ps).toContain(`two=127.0.0.1:${b}->8080/tcp`);
      expect(ps).toContain(`one=0.0.0.0:${a}->80/tcp`);
    } finally {
      await env.run(["rm", "-f", "one", "two"]);
    }
  });

  test("-p ctrPort and -p ip::ctrPort pick a free host port; udp is published too", async () => {
    await env.ok(["run", "-d", "--name", "rnd", "-p", "80", "-p", "127.0.0.1::81", "-p", "5353/udp", "busybox", "sh", "-c", "echo random > /tmp/index.html; httpd -p 81 -h /tmp; httpd -f -p 80 -h /tmp"]);
    try {
      const port = await env.ok(["port", "rnd"]);
      const m80 = /^80\/tcp -> 0\.0\.0\.0:(\d+)$/m.exec(port);
      const m81 = /^81\/tcp -> 127\.0\.0\.1:(\d+)$/m.exec(port);
      expect(port).toMatch(/^5353\/udp -> 0\.0\.0\.0:\d+$/m);
      expect(m80 && m81).toBeTruthy();
      expect(await get(Number(m80![1]))).toBe("random\n");
      expect(await get(Number(m81![1]))).toBe("random\n");
      // udp goes through slirp4netns's own forwarding: ask it what it forwards.
      const id = (await env.ok(["inspect", "-f", "{{.Id}}", "rnd"])).trim();
      const udpPort = Number(/^5353\/udp -> 0\.0\.0\.0:(\d+)$/m.exec(port)![1]);
      const listed = await new Promise<string>((resolve, reject) => {
        const s = connect(join(env.runRoot, "net", `${id.slice(0, 16)}.sock`));
        let text = "";
        s.on("connect", () => s.end('{"execute":"list_hostfwd"}'));
        s.on("data", (d: Buffer) => (text += d.toString()));
        s.on("close", () => resolve(text));
        s.on("error", reject);
      });
      expect(JSON.parse(listed).entries).toEqual([expect.objectContaining({ proto: "udp", host_addr: "0.0.0.0", host_port: udpPort, guest_addr: "10.0.2.100", guest_port: 5353 })]);
    } finally {
      await env.run(["rm", "-f", "rnd"]);
    }
  });

  test("-P publishes every EXPOSEd port to a free host port", async () => {
    await env.ok(["run", "-d", "--name", "pall", "-P", "webapp"]);
    try {
      const port = await env.ok(["port", "pall"]);
      const lines = port.trim().split("\n"); // in Docker's natural order
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^80\/tcp -> 0\.0\.0\.0:\d+$/);
      expect(lines[1]).toMatch(/^8443\/tcp -> 0\.0\.0\.0:\d+$/);
      const hostPort = Number(/:(\d+)$/.exec(lines[0]!)![1]);
      expect(await get(hostPort)).toBe("webapp\n");
      const ps = await env.ok(["ps", "--filter", "name=pall", "--format", "{{.Ports}}"]);
      expect(ps).toContain(`0.0.0.0:${hostPort}->80/tcp`);
      expect(ps).toMatch(/0\.0\.0\.0:\d+->8443\/tcp/);
    } finally {
      await env.run(["rm", "-f", "pall"]);
    }
    // Without -P the exposed ports are listed, unpublished.
    await env.ok(["run", "-d", "--name", "exposed", "webapp"]);
    try {
      const ps = await env.ok(["ps", "--filter", "name=exposed", "--format", "{{.Ports}}"]);
      expect(ps.trim().split(", ").sort()).toEqual(["80/tcp", "8443/tcp"]);
      expect(await env.ok(["port", "exposed"])).toBe("");
    } finally {
      await env.run(["rm", "-f", "exposed"]);
    }
  });

  test("a taken host port fails before the start with a clear error and exit 125", async () => {
    const holder: Server = createServer();
    await new Promise<void>((r) => holder.listen(0, "0.0.0.0", r));
    const port = (holder.address() as { port: number }).port;
    try {
      const r = await env.run(["run", "-d", "--name", "clash", "-p", `${port}:80`, "busybox", "sleep", "30"]);
      expect(r.code).toBe(125);
      const lines = r.stderr.trim().split("\n");
      expect(lines[0]).toBe(`Error: cannot publish 0.0.0.0:${port} for 80/tcp: listen tcp4 0.0.0.0:${port}: bind: address already in use`);
      expect(r.stderr).toMatch(/publish a free one/);
      const state = JSON.parse(await env.ok(["inspect", "clash"]))[0].State;
      expect(state.Running).toBe(false);
      expect(state.Pid).toBe(0);
    } finally {
      holder.close();
      await env.run(["rm", "-f", "clash"]);
    }
  });

  test("a host port below net.ipv4.ip_unprivileged_port_start is refused with the fix", async () => {
    const start = Number(readFileSync("/proc/sys/net/ipv4/ip_unprivileged_port_start", "utf8"));
    if (start <= 1) return; // every port is unprivileged here: nothing to refuse
    const r = await env.run(["run", "--rm", "--name", "lowport", "-p", `${start - 1}:80`, "busybox", "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(new RegExp(`bind: permission denied\\n.*ip_unprivileged_port_start`));
    // --rm: a container that could not start is removed, as Docker does.
    expect(await env.ok(["ps", "-a", "--filter", "name=lowport", "-q"])).toBe("");
  });

  test("a restarted container gets its network and published port back; slirp4netns ends with the container", async () => {
    const hostPort = await freePort();
    const id = (await env.ok(["run", "-d", "--restart", "always", "-p", `${hostPort}:80`, "busybox", "sh", "-c", "httpd -p 80 -h /www; sleep 1; exit 3"])).trim();
    const helpers = () => livingProcessesNaming(id.slice(0, 16));
    try {
      expect(await get(hostPort)).toBe("served from the container\n");
      expect(helpers()).toEqual(expect.arrayContaining(["slirp4netns", "skiff-slirp"]));
      const end = Date.now() + 10000;
      while (Number(JSON.parse(await env.ok(["inspect", id]))[0].RestartCount) < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
      expect(JSON.parse(await env.ok(["inspect", id]))[0].RestartCount).toBeGreaterThanOrEqual(2);
      expect(await get(hostPort)).toBe("served from the container\n");
      // One slirp4netns and one keeper at a time, not one per start.
      expect(helpers().filter((c) => c.startsWith("slirp4netns")).length).toBeLessThanOrEqual(1);
    } finally {
      await env.run(["rm", "-f", id]);
    }
    const end = Date.now() + 3000;
    while (helpers().length && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect(helpers()).toEqual([]);
  });

  test("a 4 MiB download through a published port, eight at once, arrives whole", async () => {
    const hostPort = await freePort();
    await env.ok(["run", "-d", "--name", "source", "-p", `${hostPort}:80`, "busybox", "sh", "-c", "head -c 4194304 /dev/urandom > /www/blob; md5sum /www/blob > /www/sum; httpd -f -p 80 -h /www"]);
    try {
      const sum = (await get(hostPort).then(() => fetchBytes(hostPort, "/sum"))).toString().split(" ")[0];
      const { createHash } = await import("node:crypto");
      const blobs = await Promise.all(Array.from({ length: 8 }, () => fetchBytes(hostPort, "/blob")));
      for (const b of blobs) {
        expect(b.length).toBe(4194304);
        expect(createHash("md5").update(b).digest("hex")).toBe(sum);
      }
    } finally {
      await env.run(["rm", "-f", "source"]);
    }
  });

  test("a 1 MiB upload through a published port arrives whole", async () => {
    const hostPort = await freePort();
    await env.ok(["run", "-d", "--name", "sink", "-p", `${hostPort}:9000`, "busybox", "sh", "-c", "nc -l -p 9000 | md5sum > /tmp/sum; sleep 30"]);
    try {
      const data = Buffer.alloc(1 << 20);
      for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 11)) & 0xff;
      const end = Date.now() + 5000;
      for (;;) {
        const ok = await new Promise<boolean>((resolve) => {
          const s = connect(hostPort, "127.0.0.1");
          s.on("error", () => resolve(false));
          s.on("connect", () => s.end(data, () => resolve(true)));
        });
        if (ok) break;
        if (Date.now() > end) throw new Error("could not connect");
        await new Promise((r) => setTimeout(r, 100));
      }
      const { createHash } = await import("node:crypto");
      const want = createHash("md5").update(data).digest("hex");
      let sum = "";
      for (let i = 0; i < 50 && !sum.includes(want); i++) {
        sum = (await env.run(["exec", "sink", "cat", "/tmp/sum"])).stdout;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(sum.split(" ")[0]).toBe(want);
    } finally {
      await env.run(["rm", "-f", "sink"]);
    }
  });
});
