import { createServer, type Server } from "node:http";
import { networkInterfaces } from "node:os";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SkiffEnv, isRoot } from "../../helpers/cli.js";
import { loadBusybox } from "../../helpers/busybox.js";

// The default rootless network (slirp4netns), --network none/host/container:X,
// and what lands in /etc/hosts and /etc/resolv.conf.

let env: SkiffEnv;
beforeAll(async () => {
  env = new SkiffEnv();
  await loadBusybox(env);
});
afterAll(() => env?.cleanup());

describe.skipIf(isRoot)("container networks", () => {
  test("default network: its own namespace with tap0 at 10.0.2.100, lo up, slirp's DNS", async () => {
    const out = await env.ok(["run", "--rm", "busybox", "sh", "-c", "ip -4 addr show; echo ---; ip route; echo ---; cat /etc/resolv.conf; echo ---; cat /etc/hosts; echo ---; readlink /proc/self/ns/net"]);
    const [addrs, routes, resolv, hosts, ns] = out.split("---\n");
    expect(addrs).toMatch(/\btap0\b[\s\S]*inet 10\.0\.2\.100\/24/);
    expect(addrs).toMatch(/\blo\b[\s\S]*inet 127\.0\.0\.1\/8/);
    expect(routes).toMatch(/default via 10\.0\.2\.2 dev tap0/);
    expect(resolv!.split("\n").find((l) => l.startsWith("nameserver"))).toBe("nameserver 10.0.2.3");
    expect(hosts).toMatch(/^127\.0\.0\.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n[\s\S]*^10\.0\.2\.100\t[0-9a-f]{12}\n$/m);
    expect(ns!.trim()).not.toBe((await import("node:fs")).readlinkSync("/proc/self/ns/net"));
  });

  test("--dns, --dns-search and --dns-option shape resolv.conf; inspect shows them", async () => {
    const out = await env.ok(["run", "--name", "dnsopts", "--network", "none", "--dns", "192.0.2.53", "--dns-search", "corp.example", "--dns-option", "ndots:3", "busybox", "cat", "/etc/resolv.conf"]);
    expect(out).toBe("nameserver 192.0.2.53\nsearch corp.example\noptions ndots:3\n");
    expect(await env.ok(["inspect", "-f", "{{json .HostConfig.DnsSearch}} {{json .HostConfig.DnsOptions}}", "dnsopts"])).toBe('["corp.example"] ["ndots:3"]\n');
    await env.ok(["rm", "dnsopts"]);
  });

  test("--network none: only lo, and it is up", async () => {
    const out = await env.ok(["run", "--rm", "--network", "none", "busybox", "sh", "-c", "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '; echo ---; ip -4 addr show lo"]);
    const [ifaces, lo] = out.split("---\n");
    expect(ifaces).toBe("lo\n");
    expect(lo).toMatch(/inet 127\.0\.0\.1\/8/);
    expect(lo).toMatch(/<LOOPBACK,UP,LOWER_UP>/);
  });

  test("--network host sees the host's interfaces", async () => {
    const out = await env.ok(["run", "--rm", "--network", "host", "busybox", "readlink", "/proc/self/ns/net"]);
    expect(out.trim()).toBe((await import("node:fs")).readlinkSync("/proc/self/ns/net"));
    const published = await env.run(["run", "--rm", "--network", "host", "-p", "8080:80", "busybox", "true"]);
    expect(published.code).toBe(0);
    expect(published.stderr).toContain("WARNING: Published ports are discarded when using host network mode");
  });

  test("a container reaches a server on the host through slirp's gateway 10.0.2.2", async () => {
    const server: Server = createServer((req, res) => res.end(`hello from the host, ${req.url}\n`));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    try {
      const out = await env.ok(["run", "--rm", "busybox", "wget", "-qO-", `http://10.0.2.2:${port}/ping`]);
      expect(out).toBe("hello from the host, /ping\n");
      // With the host's loopback closed (Podman's default), the same request fails.
      const closed = await env.run(["run", "--rm", "--network", "slirp4netns:allow_host_loopback=false", "busybox", "wget", "-T", "3", "-qO-", `http://10.0.2.2:${port}/ping`]);
      expect(closed.code).not.toBe(0);
    } finally {
      server.close();
    }
  });

  test("outbound connections leave through slirp's NAT, also with the host's loopback closed", async () => {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === "IPv4" && !a.internal)?.address;
    if (!external) return; // a host with loopback only: nothing outside to reach
    const server: Server = createServer((req, res) => res.end(`seen from ${req.socket.remoteAddress}\n`));
    await new Promise<void>((r) => server.listen(0, external, r));
    const port = (server.address() as { port: number }).port;
    try {
      const out = await env.ok(["run", "--rm", "--network", "slirp4netns:allow_host_loopback=false", "busybox", "wget", "-qO-", `http://${external}:${port}/`]);
      // slirp4netns opens the connection itself, from the host's own address.
      expect(out).toBe(`seen from ${external}\n`);
    } finally {
      server.close();
    }
  });

  test("--dns, --add-host (host-gateway too), --hostname and --mac-address", async () => {
    const out = await env.ok([
      "run", "--rm", "--dns", "192.0.2.53", "--add-host", "db.example:192.0.2.10", "--add-host", "host.docker.internal:host-gateway",
      "--hostname", "boat", "--mac-address", "02:42:c0:a8:00:09", "busybox", "sh", "-c", "cat /etc/resolv.conf; echo ---; cat /etc/hosts; echo ---; hostname; cat /sys/class/net/tap0/address",
    ]);
    const [resolv, hosts, rest] = out.split("---\n");
    expect(resolv!.split("\n").filter((l) => l.startsWith("nameserver"))).toEqual(["nameserver 192.0.2.53"]);
    expect(hosts).toMatch(/^192\.0\.2\.10\tdb\.example$/m);
    expect(hosts).toMatch(/^10\.0\.2\.2\thost\.docker\.internal$/m);
    expect(hosts).toMatch(/^10\.0\.2\.100\tboat$/m);
    expect(rest).toBe("boat\n02:42:c0:a8:00:09\n");
  });

  test("--network container:NAME shares the other's namespace: same interfaces, its listener on 127.0.0.1", async () => {
    await env.ok(["run", "-d", "--name", "netowner", "busybox", "sh", "-c", "echo owner-says-hi > /tmp/index.html; httpd -f -p 127.0.0.1:8080 -h /tmp"]);
    try {
      const owner = await env.ok(["exec", "netowner", "readlink", "/proc/self/ns/net"]);
      const out = await env.ok(["run", "--rm", "--network", "container:netowner", "busybox", "sh", "-c", "readlink /proc/self/ns/net; ip -4 addr show tap0 | grep -o 'inet [0-9./]*'; for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://127.0.0.1:8080/ && break; sleep 0.2; done; hostname; cat /etc/hostname"]);
      const ownerName = (await env.ok(["exec", "netowner", "hostname"])).trim();
      expect(out).toBe(`${owner.trim()}\ninet 10.0.2.100/24\nowner-says-hi\n${ownerName}\n${ownerName}\n`);
      const conflict = await env.run(["run", "--rm", "--network", "container:netowner", "-p", "8081:80", "busybox", "true"]);
      expect(conflict.code).toBe(125);
      expect(conflict.stderr).toMatch(/conflicting options: port publishing and the container type network mode/);
    } finally {
      await env.run(["rm", "-f", "netowner"]);
    }
    const gone = await env.run(["run", "--rm", "--network", "container:netowner", "busybox", "true"]);
    expect(gone.code).toBe(125);
  });

  test("an unknown network, a missing container to join or a multicast MAC is refused at create, exit 125", async () => {
    const r = await env.run(["run", "--rm", "--network", "no-such-net", "busybox", "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/network no-such-net not found/);
    const c = await env.run(["create", "--name", "joiner", "--network", "container:no-such-ctr", "busybox", "true"]);
    expect(c.code).toBe(125);
    expect(c.stderr).toMatch(/No such container: no-such-ctr/);
    const m = await env.run(["create", "--mac-address", "01:00:5e:00:00:01", "busybox", "true"]);
    expect(m.code).toBe(125);
    expect(m.stderr).toMatch(/multicast/);
    expect(await env.ok(["ps", "-aq"])).toBe("");
    // The name was not kept by the refused container.
    await env.ok(["create", "--name", "joiner", "--network", "none", "busybox", "true"]);
    await env.ok(["rm", "joiner"]);
  });
});
