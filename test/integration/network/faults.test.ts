import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SkiffEnv, isRoot } from "../../helpers/cli.js";
import { loadBusybox } from "../../helpers/busybox.js";
import { holderInterfaces, holderPid, leases, retry, until } from "./net-helpers.js";

// Bad input for user-defined networks (one line in Docker's words, exit 1,
// or 125 from run/create, nothing half-made) and a kill -9 of the network
// namespace holder (the next command rebuilds it and reattaches).

let env: SkiffEnv;
beforeAll(async () => {
  env = new SkiffEnv();
  await loadBusybox(env, "busybox:latest", [
    { path: "www/", type: "dir" },
    { path: "www/index.html", content: "still here\n" },
  ]);
});
afterAll(async () => {
  await env?.run(["rm", "-f", "-a"]).catch(() => {});
  env?.cleanup();
});

async function fails(args: string[], code: number, line: RegExp): Promise<void> {
  const r = await env.run(args);
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr.split("\n")[0]).toMatch(line);
}

describe.skipIf(isRoot)("user-defined networks: bad input and faults", () => {
  test("invalid and overlapping subnets, a gateway outside, a duplicate name: Docker's words, exit 1, nothing made", async () => {
    await env.ok(["network", "create", "--subnet", "10.77.0.0/24", "one"]);
    await fails(["network", "create", "--subnet", "10.77.0.0/16", "two"], 1, /^Error: invalid pool request: Pool overlaps with other one on this address space$/);
    await fails(["network", "create", "--subnet", "10.0.0/24", "two"], 1, /^Error: invalid CIDR address: 10\.0\.0\/24$/);
    await fails(["network", "create", "--subnet", "10.78.0.1/24", "two"], 1, /^Error: invalid subnet 10\.78\.0\.1\/24 : it should be 10\.78\.0\.0\/24$/);
    await fails(["network", "create", "--subnet", "10.78.0.0/24", "--gateway", "10.79.0.1", "two"], 1, /^Error: no matching subnet for gateway 10\.79\.0\.1$/);
    await fails(["network", "create", "one"], 1, /^Error: network with name one already exists$/);
    await fails(["network", "create", "bridge"], 1, /^Error: network with name bridge already exists$/);
    await fails(["network", "create", "-d", "overlay", "two"], 1, /^Error: plugin "overlay" not found$/);
    expect((await env.ok(["network", "ls", "--format", "{{.Name}}"])).split("\n").filter(Boolean)).toEqual(["bridge", "host", "none", "one"]);
  });

  test("a taken --ip, --ip outside the subnet, --ip on the default network: exit 125, no container, no lease", async () => {
    const id = JSON.parse(await env.ok(["network", "inspect", "one"]))[0].Id;
    await env.ok(["create", "--name", "fixed", "--network", "one", "--ip", "10.77.0.50", "busybox", "true"]);
    expect(Object.values(leases(env, id)!)).toEqual(["10.77.0.50"]);
    await fails(["run", "--rm", "--name", "clash", "--network", "one", "--ip", "10.77.0.50", "busybox", "true"], 125, /^Error: Address already in use$/);
    await fails(["create", "--network", "one", "--ip", "10.99.0.5", "busybox", "true"], 125, /^Error: no configured subnet or ip-range contain the IP address 10\.99\.0\.5$/);
    await fails(["create", "--ip", "10.0.2.50", "busybox", "true"], 125, /^Error: user specified IP address is supported on user defined networks only$/);
    await fails(["create", "--network-alias", "x", "busybox", "true"], 125, /^Error: network-scoped alias is supported only for containers in user defined networks$/);
    await fails(["run", "--rm", "--network", "nosuch", "busybox", "true"], 125, /^Error: network nosuch not found$/);
    expect(await env.ok(["ps", "-a", "--format", "{{.Names}}"])).toBe("fixed\n");
    expect(Object.values(leases(env, id)!)).toEqual(["10.77.0.50"]);
    // The fixed address is its own at every start, and freed by rm.
    await env.ok(["start", "-a", "fixed"]);
    expect(JSON.parse(await env.ok(["inspect", "fixed"]))[0].NetworkSettings.Networks.one.IPAMConfig).toEqual({ IPv4Address: "10.77.0.50" });
    await env.ok(["rm", "fixed"]);
    expect(leases(env, id)).toEqual({});
    await env.ok(["network", "rm", "one"]);
  });

  test("kill -9 of the holder: the next command rebuilds it and reattaches running containers with their addresses", async () => {
    await env.ok(["network", "create", "sturdy"]);
    await env.ok(["run", "-d", "--name", "srv", "--network", "sturdy", "busybox", "httpd", "-f", "-p", "80", "-h", "/www"]);
    await env.ok(["run", "-d", "--name", "cli", "--network", "sturdy", "busybox", "sleep", "300"]);
    const ip = JSON.parse(await env.ok(["inspect", "srv"]))[0].NetworkSettings.Networks.sturdy.IPAddress;
    expect(await env.ok(["exec", "cli", "sh", "-c", `${retry("wget -qO- http://srv/ >/dev/null")}; wget -qO- http://srv/`])).toBe("still here\n");
    const old = holderPid(env)!;
    process.kill(old, "SIGKILL");
    await until("the holder to be gone", () => holderPid(env) === undefined);
    // Its namespace went with it: cli has lost its interface.
    await until("cli's interface to go", async () => !(await env.ok(["exec", "cli", "ip", "-o", "link"])).includes("eth0"));
    // The next command that needs the networks brings them back.
    await env.ok(["run", "--rm", "--network", "sturdy", "busybox", "true"]);
    const fresh = holderPid(env)!;
    expect(fresh).not.toBe(old);
    expect(holderInterfaces(fresh).filter((i) => i.startsWith("skv"))).toHaveLength(2);
    expect(JSON.parse(await env.ok(["inspect", "srv"]))[0].NetworkSettings.Networks.sturdy.IPAddress).toBe(ip);
    expect(await env.ok(["exec", "cli", "sh", "-c", `${retry("wget -qO- http://srv/ >/dev/null")}; wget -qO- http://srv/`])).toBe("still here\n");
    await env.ok(["rm", "-f", "srv", "cli"]);
    await env.ok(["network", "rm", "sturdy"]);
    await until("the holder to leave", () => holderPid(env) === undefined);
  });
});
