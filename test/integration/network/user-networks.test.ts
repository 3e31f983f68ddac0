import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SkiffEnv, isRoot } from "../../helpers/cli.js";
import { loadBusybox } from "../../helpers/busybox.js";
import { holderInterfaces, holderPid, leases, processesNaming, retry, rssKiB, until } from "./net-helpers.js";

// User-defined networks: containers that find each other by name, alias and
// short id through the network's name server; what ls and inspect show;
// -p on a user network; and rm/prune leaving no process, interface or lease.

let env: SkiffEnv;
beforeAll(async () => {
  env = new SkiffEnv();
  await loadBusybox(env, "busybox:latest", [
    { path: "www/", type: "dir" },
    { path: "www/index.html", content: "hello from db\n" },
  ]);
});
afterAll(async () => {
  await env?.run(["rm", "-f", "-a"]).catch(() => {});
  env?.cleanup();
});

const inspectNet = async (name: string) => JSON.parse(await env.ok(["network", "inspect", name]))[0];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/", timeout: 3000 }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve(body));
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.end();
  });
}

describe.skipIf(isRoot)("user-defined networks", () => {
  test("create, ls and inspect show Docker's fields; labels round-trip; Options is {} when none were given", async () => {
    const id = (await env.ok(["network", "create", "--label", "com.example.project=demo", "shown"])).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const ls = await env.ok(["network", "ls", "--format", "{{.Name}} {{.Driver}} {{.Scope}}"]);
    expect(ls.split("\n")).toEqual(expect.arrayContaining(["bridge slirp4netns local", "host host local", "none null local", "shown bridge local"]));
    expect(await env.ok(["network", "ls", "-q", "--filter", "name=hown"])).toBe(`${id.slice(0, 12)}\n`);
    expect(await env.ok(["network", "ls", "-q", "--filter", "label=com.example.project=demo"])).toBe(`${id.slice(0, 12)}\n`);
    const net = await inspectNet("shown");
    expect(net).toMatchObject({ Name: "shown", Id: id, Scope: "local", Driver: "bridge", Internal: false, Options: {}, Labels: { "com.example.project": "demo" }, Containers: {} });
    expect(net.IPAM.Config).toHaveLength(1);
    expect(net.IPAM.Config[0].Subnet).toMatch(/^10\.89\.\d+\.0\/24$/);
    expect(net.IPAM.Config[0].Gateway).toBe(net.IPAM.Config[0].Subnet.replace(/0\/24$/, "1"));
    expect((await inspectNet(id.slice(0, 8))).Name).toBe("shown");
    const custom = (await env.ok(["network", "create", "--subnet", "10.123.0.0/16", "--gateway", "10.123.0.254", "--ip-range", "10.123.5.0/24", "--internal", "-o", "com.docker.network.driver.mtu=1500", "custom"])).trim();
    expect(await inspectNet("custom")).toMatchObject({
      Id: custom,
      Internal: true,
      IPAM: { Config: [{ Subnet: "10.123.0.0/16", Gateway: "10.123.0.254", IPRange: "10.123.5.0/24" }] },
      Options: { "com.docker.network.driver.mtu": "1500" },
    });
    expect(await env.ok(["network", "rm", "shown", "custom"])).toBe("shown\ncustom\n");
  });

  test("two containers find each other by name, alias and short id; nslookup answers; a later container is resolvable both ways", async () => {
    await env.ok(["network", "create", "app"]);
    const dbId = (await env.ok(["run", "-d", "--name", "db", "--network", "app", "--network-alias", "database", "busybox", "httpd", "-f", "-p", "80", "-h", "/www"])).trim();
    const short = dbId.slice(0, 12);
    const out = await env.ok(["run", "--rm", "--network", "app", "busybox", "sh", "-c", `${retry("wget -qO- http://db/ >/dev/null")}; wget -qO- http://db/ && wget -qO- http://database/ && wget -qO- http://${short}/`]);
    expect(out).toBe("hello from db\nhello from db\nhello from db\n");
    const [info] = JSON.parse(await env.ok(["inspect", "db"]));
    const ep = info.NetworkSettings.Networks.app;
    expect(ep.IPAddress).toMatch(/^10\.89\.\d+\.\d+$/);
    expect(ep).toMatchObject({ IPPrefixLen: 24, NetworkID: (await inspectNet("app")).Id });
    expect(ep.Aliases).toEqual(["database", short]);
    expect(ep.Gateway).toMatch(/\.1$/);
    expect(ep.MacAddress).toMatch(/^02:42(:[0-9a-f]{2}){4}$/);
    // (busybox nslookup's exit status counts its AAAA question, which has no answer: read what it prints.)
    const lookup = (await env.run(["run", "--rm", "--network", "app", "busybox", "busybox", "nslookup", "db"])).stdout;
    expect(lookup).toMatch(new RegExp(`Name:\\s+db\\nAddress: ${ep.IPAddress.replace(/\./g, "\\.")}\\n`));
    // A container started later: the running db resolves it, without a restart.
    await env.ok(["run", "-d", "--name", "late", "--network", "app", "busybox", "sleep", "300"]);
    const lateIp = JSON.parse(await env.ok(["inspect", "late"]))[0].NetworkSettings.Networks.app.IPAddress;
    expect((await env.run(["exec", "db", "busybox", "nslookup", "late"])).stdout).toContain(`Address: ${lateIp}`);
    expect(await env.ok(["exec", "late", "wget", "-qO-", "http://db/"])).toBe("hello from db\n");
    // network inspect lists both with their addresses; ps knows the network.
    const net = await inspectNet("app");
    expect(Object.values(net.Containers).map((c) => (c as { Name: string; IPv4Address: string }).Name).sort()).toEqual(["db", "late"]);
    expect(net.Containers[dbId].IPv4Address).toBe(`${ep.IPAddress}/24`);
    expect(await env.ok(["ps", "--filter", "network=app", "--format", "{{.Names}} {{.Networks}}"])).toMatch(/^(late app\ndb app|db app\nlate app)\n$/);
    // A stopped container drops out of DNS; the name does not resolve on other networks.
    await env.ok(["stop", "-t", "0", "late"]);
    const gone = await env.run(["exec", "db", "busybox", "nslookup", "late"]);
    expect(gone.stdout + gone.stderr).toMatch(/NXDOMAIN|can't find/);
    await env.ok(["network", "create", "elsewhere"]);
    // (busybox-static's wget crashes on a name that does not resolve: ask nslookup.)
    const other = await env.run(["run", "--rm", "--network", "elsewhere", "busybox", "busybox", "nslookup", "db"]);
    expect(other.stdout + other.stderr).toMatch(/NXDOMAIN|can't find/);
    await env.ok(["rm", "-f", "db", "late"]);
    await env.ok(["network", "rm", "app", "elsewhere"]);
  });

  test("-p on a user network answers from the host", async () => {
    await env.ok(["network", "create", "pub"]);
    const port = await freePort();
    await env.ok(["run", "-d", "--name", "web", "--network", "pub", "-p", `127.0.0.1:${port}:80`, "busybox", "httpd", "-f", "-p", "80", "-h", "/www"]);
    let body = "";
    await until(`port ${port}`, async () => (body = await get(port).catch(() => "")) !== "");
    expect(body).toBe("hello from db\n");
    expect(await env.ok(["port", "web"])).toBe(`80/tcp -> 127.0.0.1:${port}\n`);
    const udp = await env.run(["run", "--rm", "--network", "pub", "-p", "5353/udp", "busybox", "true"]);
    expect(udp.code).toBe(125);
    expect(udp.stderr).toMatch(/^Error: cannot publish 5353\/udp: containers on user-defined networks publish tcp ports only\n/);
    await env.ok(["rm", "-f", "web"]);
    await env.ok(["network", "rm", "pub"]);
  });

  test("rm and prune leave no bridge, veth, lease or process behind; the idle holder is small and leaves", async () => {
    const a = (await env.ok(["network", "create", "left1"])).trim();
    const b = (await env.ok(["network", "create", "left2"])).trim();
    await env.ok(["run", "-d", "--name", "keep", "--network", "left1", "busybox", "sleep", "300"]);
    const go = (await env.ok(["run", "-d", "--name", "go", "--network", "left2", "busybox", "sleep", "300"])).trim();
    // The holder's interfaces for left2: its bridge and go's end of the veth pair.
    const left2 = [`skb${b.slice(0, 12)}`, `skv${createHash("sha256").update(`${go}/${b}`).digest("hex").slice(0, 12)}`];
    const holder = holderPid(env)!;
    expect(holder).toBeGreaterThan(0);
    const slirp = processesNaming(`${holder}\0tap0`).filter((p) => p !== holder);
    const rss = rssKiB(holder) + slirp.reduce((n, p) => n + rssKiB(p), 0);
    console.log(`holder + slirp4netns RSS with two networks: ${rss} KiB`);
    expect(rss).toBeLessThanOrEqual(5 * 1024);
    expect(holderInterfaces(holder)).toEqual(expect.arrayContaining([`skb${a.slice(0, 12)}`, ...left2]));
    const inUse = await env.run(["network", "rm", "left2"]);
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toBe(`Error response from daemon: error while removing network: network left2 id ${b} has active endpoints\n`);
    await env.ok(["rm", "-f", "go"]);
    expect(leases(env, b)).toEqual({});
    expect(await env.ok(["network", "prune", "-f"])).toBe("Deleted Networks:\nleft2\n");
    expect(existsSync(join(env.storageRoot, "networks", `${b}.json`))).toBe(false);
    expect(existsSync(join(env.storageRoot, "networks", `${b}.leases.json`))).toBe(false);
    await until("left2's bridge and veth to go", () => !holderInterfaces(holder).some((i) => left2.includes(i)));
    expect(holderInterfaces(holder)).toContain(`skb${a.slice(0, 12)}`);
    await env.ok(["rm", "-f", "keep"]);
    await env.ok(["network", "rm", "left1"]);
    expect(leases(env, a)).toBeUndefined();
    // Nothing uses a user network now: the holder and its slirp4netns leave.
    await until("the holder to leave", () => holderPid(env) === undefined && processesNaming(`${holder}\0tap0`).length === 0);
    expect(processesNaming(join(env.runRoot, "netns"))).toEqual([]);
  });
});
