import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SkiffEnv, isRoot } from "../../helpers/cli.js";
import { loadBusybox } from "../../helpers/busybox.js";

// `network ls/inspect/create/rm/prune/connect`: the three networks a rootless
// container can use, Docker's columns and messages, and clear refusals for
// what cannot be done to them.

let env: SkiffEnv;
beforeAll(async () => {
  env = new SkiffEnv();
  await loadBusybox(env);
});
afterAll(() => env?.cleanup());

describe.skipIf(isRoot)("network commands", () => {
  test("ls: Docker's columns, ids that stay the same, -q, --filter, --format", async () => {
    const out = (await env.ok(["network", "ls"])).split("\n");
    expect(out[0]).toMatch(/^NETWORK ID +NAME +DRIVER +SCOPE$/);
    const rows = out.slice(1).filter(Boolean).map((l) => l.split(/ +/));
    expect(rows.map((r) => [r[1], r[2], r[3]])).toEqual([
      ["bridge", "slirp4netns", "local"],
      ["host", "host", "local"],
      ["none", "null", "local"],
    ]);
    for (const r of rows) expect(r[0]).toMatch(/^[0-9a-f]{12}$/);
    const full = (await env.ok(["network", "ls", "-q", "--no-trunc"])).trim().split("\n");
    expect(full.map((id) => id.slice(0, 12))).toEqual(rows.map((r) => r[0]));
    expect(await env.ok(["network", "ls", "-q", "--no-trunc"])).toBe(`${full.join("\n")}\n`);
    expect(await env.ok(["network", "ls", "--filter", "driver=null", "--format", "{{.Name}}:{{.Driver}}"])).toBe("none:null\n");
    expect(await env.ok(["network", "ls", "--filter", "name=ho", "-q"])).toBe(`${rows[1]![0]}\n`);
    const json = (await env.ok(["network", "ls", "--format", "json"])).trim().split("\n").map((l) => JSON.parse(l) as { Name: string });
    expect(json.map((j) => j.Name)).toEqual(["bridge", "host", "none"]);
  });

  test("inspect: the default network by Docker's name, its slirp4netns alias or id prefix, with its running containers", async () => {
    await env.ok(["run", "-d", "--name", "on-net", "busybox", "sleep", "60"]);
    try {
      const [net] = JSON.parse(await env.ok(["network", "inspect", "bridge"])) as {
        Name: string;
        Id: string;
        Driver: string;
        IPAM: { Config: { Subnet: string; Gateway: string }[] };
        Containers: Record<string, { Name: string; IPv4Address: string }>;
      }[];
      expect(net!.Name).toBe("bridge");
      expect(net!.Driver).toBe("slirp4netns");
      expect(net!.IPAM.Config).toEqual([{ Subnet: "10.0.2.0/24", Gateway: "10.0.2.2" }]);
      const id = (await env.ok(["inspect", "-f", "{{.Id}}", "on-net"])).trim();
      expect(net!.Containers[id]).toEqual(expect.objectContaining({ Name: "on-net", IPv4Address: "10.0.2.100/24" }));
      expect(await env.ok(["network", "inspect", "-f", "{{.Name}}", net!.Id.slice(0, 6)])).toBe("bridge\n");
      expect(await env.ok(["network", "inspect", "-f", "{{.Name}}", "slirp4netns"])).toBe("bridge\n");
      expect(await env.ok(["network", "inspect", "-f", "{{len .Containers}}", "host"])).toBe("0\n");
    } finally {
      await env.run(["rm", "-f", "on-net"]);
    }
    const missing = await env.run(["network", "inspect", "nosuch"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("Error response from daemon: network nosuch not found\n");
    expect(missing.stdout).toBe("[]\n");
  });

  test("built-in networks cannot be removed; rm -f of a missing one is quiet; prune with nothing to do prints nothing", async () => {
    const rm = await env.run(["network", "rm", "host"]);
    expect(rm.code).toBe(1);
    expect(rm.stderr).toBe("Error response from daemon: host is a pre-defined network and cannot be removed\n");
    expect((await env.run(["network", "rm", "-f", "nosuch"])).code).toBe(0);
    const prune = await env.run(["network", "prune", "-f"]);
    expect(prune.code).toBe(0);
    expect(prune.stdout).toBe("");
    expect((await env.ok(["network", "ls", "-q"])).trim().split("\n")).toHaveLength(3);
  });
});
