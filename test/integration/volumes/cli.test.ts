import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SkiffEnv, isRoot } from "../../helpers/cli.js";
import { loadBusybox } from "../../helpers/busybox.js";

// `volume create/ls/inspect/rm/prune`, `inspect` of a volume and `system df`:
// Docker's output, messages and exit codes.

let env: SkiffEnv;
beforeAll(async () => {
  env = new SkiffEnv();
  await loadBusybox(env);
});
afterAll(() => env?.cleanup());

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/;

describe.skipIf(isRoot)("volume commands", () => {
  test("create and inspect: Docker's JSON, field order and defaults", async () => {
    expect(await env.ok(["volume", "create", "--label", "env=test", "--label", "team", "-o", "o=size=1m", "labelled"])).toBe("labelled\n");
    // Creating it again returns the same volume.
    expect(await env.ok(["volume", "create", "labelled"])).toBe("labelled\n");
    const [v] = JSON.parse(await env.ok(["volume", "inspect", "labelled"]));
    expect(Object.keys(v)).toEqual(["CreatedAt", "Driver", "Labels", "Mountpoint", "Name", "Options", "Scope"]);
    expect(v).toMatchObject({
      Driver: "local",
      Labels: { env: "test", team: "" },
      Mountpoint: join(env.storageRoot, "volumes", "labelled", "_data"),
      Name: "labelled",
      Options: { o: "size=1m" },
      Scope: "local",
    });
    expect(v.CreatedAt).toMatch(RFC3339);
    expect(existsSync(v.Mountpoint)).toBe(true);
    // `inspect` finds volumes too, and -f runs a template per volume.
    expect(JSON.parse(await env.ok(["inspect", "labelled"]))).toEqual([v]);
    expect(await env.ok(["inspect", "--type", "volume", "-f", "{{.Name}} {{.Driver}}", "labelled"])).toBe("labelled local\n");
    expect(await env.ok(["volume", "inspect", "-f", "{{.Mountpoint}}", "labelled"])).toBe(`${v.Mountpoint}\n`);
    // A volume made by `-v name:/path` has no labels or options: null, as Docker shows.
    await env.ok(["create", "-v", "implicit:/x", "busybox", "true"]);
    expect(await env.ok(["volume", "inspect", "-f", "{{json .Labels}} {{json .Options}}", "implicit"])).toBe("null null\n");
    // No name: 64 hex digits.
    expect(await env.ok(["volume", "create"])).toMatch(/^[0-9a-f]{64}\n$/);
    const missing = await env.run(["volume", "inspect", "labelled", "no-such-volume"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("Error response from daemon: get no-such-volume: no such volume\n");
    expect(JSON.parse(missing.stdout)).toHaveLength(1);
  });

  test("create refuses bad names, unknown drivers and options", async () => {
    const bad = await env.run(["volume", "create", "a/b"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^Error response from daemon: create a\/b: "a\/b" includes invalid characters for a local volume name/);
    const driver = await env.run(["volume", "create", "-d", "nfs", "x1"]);
    expect(driver.code).toBe(1);
    expect(driver.stderr).toMatch(/create x1: error looking up volume plugin nfs: plugin "nfs" not found/);
    const opt = await env.run(["volume", "create", "-o", "colour=blue", "x2"]);
    expect(opt.code).toBe(1);
    expect(opt.stderr).toMatch(/create x2: invalid option: "colour"/);
    expect(await env.ok(["volume", "ls", "-q", "--filter", "name=x"])).toBe("");
  });

  test("ls: table, -q, filters, --format templates and json", async () => {
    await env.ok(["volume", "create", "--label", "tier=db", "ls-db"]);
    await env.ok(["volume", "create", "--label", "tier=web", "--label", "public", "ls-web"]);
    await env.ok(["create", "--name", "ls-user", "-v", "ls-db:/db", "busybox", "true"]);
    const table = (await env.ok(["volume", "ls", "--filter", "name=ls-"])).split("\n");
    expect(table[0]).toMatch(/^DRIVER\s+VOLUME NAME$/);
    expect(table.slice(1)).toEqual(["local     ls-db", "local     ls-web", ""]);
    expect(await env.ok(["volume", "ls", "-q", "--filter", "label=tier"])).toBe("ls-db\nls-web\n");
    expect(await env.ok(["volume", "ls", "-q", "--filter", "label=tier=web"])).toBe("ls-web\n");
    expect(await env.ok(["volume", "ls", "-q", "--filter", "label=tier", "--filter", "dangling=true"])).toBe("ls-web\n");
    expect(await env.ok(["volume", "ls", "-q", "--filter", "label=tier", "--filter", "dangling=false"])).toBe("ls-db\n");
    expect(await env.ok(["volume", "ls", "--filter", "label=tier", "--format", '{{.Name}}|{{.Label "tier"}}|{{.Labels}}|{{.Scope}}'])).toBe(
      "ls-db|db|tier=db|local\nls-web|web|public=,tier=web|local\n",
    );
    const table2 = await env.ok(["volume", "ls", "--filter", "label=tier", "--format", "table {{.Name}}\t{{.Mountpoint}}"]);
    expect(table2.split("\n")[0]).toMatch(/^VOLUME NAME\s+MOUNTPOINT$/);
    const lines = (await env.ok(["volume", "ls", "--filter", "label=tier", "--format", "json"])).trim().split("\n").map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({
      Availability: "N/A",
      Driver: "local",
      Group: "N/A",
      Labels: "tier=db",
      Links: "N/A",
      Mountpoint: join(env.storageRoot, "volumes", "ls-db", "_data"),
      Name: "ls-db",
      Scope: "local",
      Size: "N/A",
      Status: "N/A",
    });
    const badFilter = await env.run(["volume", "ls", "--filter", "colour=red"]);
    expect(badFilter.code).toBe(1);
    expect(badFilter.stderr).toMatch(/invalid filter 'colour'/);
    await env.ok(["rm", "ls-user"]);
  });

  test("rm is refused while a container uses the volume, with Docker's message and exit code", async () => {
    await env.ok(["volume", "create", "busy"]);
    const id = (await env.ok(["create", "-v", "busy:/b", "busybox", "true"])).trim();
    const r = await env.run(["volume", "rm", "busy"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`Error response from daemon: remove busy: volume is in use - [${id}]\n`);
    expect(r.stdout).toBe("");
    expect(existsSync(join(env.storageRoot, "volumes", "busy"))).toBe(true);
    // -f overrides a stopped user.
    expect(await env.ok(["volume", "rm", "-f", "busy"])).toBe("busy\n");
    expect(existsSync(join(env.storageRoot, "volumes", "busy"))).toBe(false);
    // Not refused once the container is gone; data written by containers goes too.
    await env.ok(["run", "--name", "busy2-user", "-v", "busy2:/b", "busybox", "true"]);
    await env.ok(["run", "--rm", "-v", "busy2:/b", "busybox", "sh", "-c", "mkdir /b/d && chown 1000 /b/d && chmod 700 /b/d && echo x > /b/d/f && chown 1000 /b/d/f"]);
    expect((await env.run(["volume", "rm", "busy2"])).code).toBe(1);
    await env.ok(["rm", "busy2-user"]);
    expect(await env.ok(["volume", "rm", "busy2"])).toBe("busy2\n");
    expect(existsSync(join(env.storageRoot, "volumes", "busy2"))).toBe(false);
    // Unknown names: an error, or nothing with -f.
    const missing = await env.run(["volume", "rm", "no-such-volume"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("Error response from daemon: get no-such-volume: no such volume\n");
    expect((await env.run(["volume", "rm", "-f", "no-such-volume"])).code).toBe(0);
  });

  test("a running container's volume cannot be removed even with -f", async () => {
    const id = (await env.ok(["run", "-d", "-v", "live:/l", "busybox", "sleep", "60"])).trim();
    try {
      const r = await env.run(["volume", "rm", "-f", "live"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`remove live: volume is in use - \\[${id}\\]`));
    } finally {
      await env.ok(["rm", "-f", id]);
    }
  });

  test("prune removes unused anonymous volumes, -a unused named ones too; system df counts them", async () => {
    // A fresh view: drop what earlier tests left.
    for (const id of (await env.ok(["ps", "-aq"])).split("\n").filter(Boolean)) await env.ok(["rm", "-f", id]);
    await env.ok(["volume", "prune", "-a", "-f"]);
    expect(await env.ok(["volume", "ls", "-q"])).toBe("");
    const used = (await env.ok(["create", "-v", "/used-anon", "-v", "used-named:/n", "busybox", "true"])).trim();
    const unusedAnon = (await env.ok(["create", "-v", "/unused-anon", "busybox", "true"])).trim();
    const anonName = (await env.ok(["inspect", "-f", "{{range .Mounts}}{{.Name}}{{end}}", unusedAnon])).trim();
    await env.ok(["run", "--rm", "-v", "unused-named:/n", "busybox", "sh", "-c", "head -c 5000 /dev/zero > /n/f"]);
    await env.ok(["rm", unusedAnon]);
    const df = await env.ok(["system", "df", "--format", "{{.Type}}|{{.TotalCount}}|{{.Active}}|{{.Size}}|{{.Reclaimable}}"]);
    expect(df).toContain("Local Volumes|4|2|5kB|5kB (100%)\n");
    const pruned = await env.ok(["volume", "prune", "-f"]);
    expect(pruned).toBe(`Deleted Volumes:\n${anonName}\n\nTotal reclaimed space: 0B\n`);
    expect((await env.ok(["volume", "ls", "-q"])).split("\n").filter(Boolean).sort()).toEqual(
      [...(await env.ok(["inspect", "-f", "{{range .Mounts}}{{.Name}} {{end}}", used])).trim().split(" "), "unused-named"].sort(),
    );
    const all = await env.ok(["volume", "prune", "-a", "-f"]);
    expect(all).toBe("Deleted Volumes:\nunused-named\n\nTotal reclaimed space: 5kB\n");
    expect(existsSync(join(env.storageRoot, "volumes", "unused-named"))).toBe(false);
    expect((await env.ok(["volume", "ls", "-q"])).split("\n").filter(Boolean)).toHaveLength(2);
    // Nothing to prune: just the total. Without -f and no "y" on stdin, nothing happens.
    expect(await env.ok(["volume", "prune", "-f"])).toBe("Total reclaimed space: 0B\n");
    await env.ok(["rm", used]);
    const asked = await env.run(["volume", "prune", "-a"], { input: "n\n" });
    expect(asked.stdout).toMatch(/^WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue\? \[y\/N\] $/);
    expect((await env.ok(["volume", "ls", "-q"])).split("\n").filter(Boolean)).toHaveLength(2);
  });
});
