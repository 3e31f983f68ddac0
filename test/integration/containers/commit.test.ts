import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SkiffEnv, isRoot } from "../../helpers/cli.js";
import { loadBusybox } from "../../helpers/busybox.js";
import { Podman, hasPodman } from "../../helpers/podman.js";

// commit: a container's upper dir becomes one layer (whiteouts and opaque
// directories included), its config and history gain an entry, and podman
// reads the result back with the same tree.

let env: SkiffEnv;
beforeAll(async () => {
  env = new SkiffEnv();
  await loadBusybox(env, "busybox:latest", [
    { path: "srv/", type: "dir" },
    { path: "srv/keep.txt", content: "keep\n" },
    { path: "srv/gone.txt", content: "gone\n" },
    { path: "data/", type: "dir" },
    { path: "data/old/", type: "dir" },
    { path: "data/old/a", content: "a\n" },
  ]);
});
afterAll(() => env?.cleanup());

/** Names, types, modes and contents of a tar, one line each ("path type mode uid:gid text"). */
function tarTree(tar: Buffer, dir: string): string[] {
  spawnSync("mkdir", ["-p", dir]);
  const r = spawnSync("tar", ["-tvf", "-", "--numeric-owner"], { input: tar, encoding: "utf8", maxBuffer: 1 << 26 });
  return r.stdout
    .trim()
    .split("\n")
    .map((l) => {
      const f = l.split(/\s+/);
      return `${f[0]} ${f[1]} ${f.slice(5).join(" ")}`;
    })
    .sort();
}

async function exportTree(container: string): Promise<string[]> {
  const r = spawnSync(process.execPath, [join(import.meta.dirname, "../../../bin/skiff.js"), "export", container], { env: env.env, maxBuffer: 1 << 28 });
  return tarTree(r.stdout, "");
}

describe.skipIf(isRoot)("commit", () => {
  test("the upper dir becomes one layer: added, changed and deleted files, opaque dirs; config and history", async () => {
    await env.ok([
      "run", "--name", "c1", "busybox", "sh", "-c",
      "echo new > /srv/new.txt && echo changed > /srv/keep.txt && rm /srv/gone.txt && rm -rf /data/old && mkdir /data/old && echo b > /data/old/b && mkdir -p /usr/share && chmod 0750 /usr/share",
    ]);
    const out = (await env.ok(["commit", "-m", "first commit", "-a", "Ann <ann@example.com>", "c1", "committed:v1"])).trim();
    expect(out).toMatch(/^sha256:[a-f0-9]{64}$/);
    const fs = await env.ok(["run", "--rm", "committed:v1", "sh", "-c", "ls /srv; cat /srv/keep.txt /srv/new.txt; ls /data/old; stat -c %a /usr/share"]);
    expect(fs).toBe("keep.txt\nnew.txt\nchanged\nnew\nb\n750\n");
    const img = JSON.parse(await env.ok(["image", "inspect", "committed:v1"]))[0];
    expect(img.Id).toBe(out);
    expect(img.Comment).toBe("first commit");
    expect(img.Author).toBe("Ann <ann@example.com>");
    expect(img.RootFS.Layers).toHaveLength(3);
    expect(img.Config.Cmd).toEqual(["sh", "-c", expect.stringContaining("echo new")]);
    const hist = await env.ok(["history", "--no-trunc", "--format", "{{.CreatedBy}}|{{.Comment}}", "committed:v1"]);
    expect(hist.split("\n")[0]).toMatch(/^sh -c echo new.*\|first commit$/);

    // The layer itself: OCI whiteouts for the deleted file, an opaque marker for the re-created dir, no runtime mount points.
    const saved = spawnSync(process.execPath, [join(import.meta.dirname, "../../../bin/skiff.js"), "save", "committed:v1"], { env: env.env, maxBuffer: 1 << 28 }).stdout;
    const dir = join(env.base, "work", "saved");
    spawnSync("mkdir", ["-p", dir]);
    spawnSync("tar", ["-xf", "-", "-C", dir], { input: saved });
    const manifest = JSON.parse(spawnSync("cat", [join(dir, "manifest.json")], { encoding: "utf8" }).stdout)[0];
    const top = spawnSync("tar", ["-tf", join(dir, manifest.Layers.at(-1))], { encoding: "utf8" }).stdout.trim().split("\n");
    expect(top).toEqual(expect.arrayContaining(["srv/", "srv/.wh.gone.txt", "srv/keep.txt", "srv/new.txt", "data/old/", "data/old/.wh..wh..opq", "data/old/b", "usr/share/"]));
    expect(top.filter((n) => /^(etc|dev|proc|sys)\//.test(n))).toEqual([]);
  });

  test("-c applies config-only instructions; a running container is paused and keeps running", async () => {
    await env.ok(["run", "-d", "--name", "c2", "-e", "FROM_RUN=1", "busybox", "sh", "-c", "echo hi > /hi; sleep 300"]);
    await new Promise((r) => setTimeout(r, 300));
    const id = (
      await env.ok([
        "commit",
        "-c", 'CMD ["cat", "/hi"]',
        "-c", "ENV A=1 B=two",
        "-c", "EXPOSE 8080",
        "-c", "LABEL org.example=yes",
        "-c", "USER 1000",
        "-c", "WORKDIR /srv",
        "-c", "STOPSIGNAL SIGINT",
        "-c", "ENTRYPOINT []",
        "c2",
      ])
    ).trim();
    const cfg = JSON.parse(await env.ok(["image", "inspect", id]))[0].Config;
    expect(cfg.Cmd).toEqual(["cat", "/hi"]);
    expect(cfg.Env).toEqual(expect.arrayContaining(["FROM_RUN=1", "A=1", "B=two"]));
    expect(cfg.ExposedPorts).toEqual({ "8080/tcp": {} });
    expect(cfg.Labels).toEqual({ "org.example": "yes" });
    expect(cfg.User).toBe("1000");
    expect(cfg.WorkingDir).toBe("/srv");
    expect(cfg.StopSignal).toBe("SIGINT");
    const state = JSON.parse(await env.ok(["inspect", "c2"]))[0].State;
    expect(state.Running).toBe(true);
    expect(state.Paused).toBe(false);
    expect(await env.ok(["run", "--rm", "-u", "0", id])).toBe("hi\n");
    const bad = await env.run(["commit", "-c", "RUN true", "c2"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/RUN is not a valid change command/);
    const withVolume = (await env.ok(["commit", "--change", "VOLUME /data", "-p=false", "c2"])).trim();
    expect(JSON.parse(await env.ok(["image", "inspect", withVolume]))[0].Config.Volumes).toEqual({ "/data": {} });
    await env.ok(["rm", "-f", "c2"]);
  });

  test.skipIf(!hasPodman)("podman loads the committed image with the same file tree", async () => {
    await env.ok(["run", "--name", "c3", "busybox", "sh", "-c", "mkdir -p /opt/app && echo x > /opt/app/x && chown 1000:1000 /opt/app/x && rm /srv/gone.txt && ln -s x /opt/app/link"]);
    await env.ok(["commit", "c3", "forpodman:1"]);
    const archive = join(env.base, "work", "forpodman.tar");
    await env.ok(["save", "-o", archive, "forpodman:1"]);
    const podman = new Podman(env.base);
    try {
      podman.ok(["load", "-i", archive]);
      const ours = await (async () => {
        await env.ok(["create", "--name", "c3x", "forpodman:1", "true"]);
        return exportTree("c3x");
      })();
      podman.ok(["create", "--name", "p3", "localhost/forpodman:1", "true"]);
      const exported = join(env.base, "work", "p3.tar");
      podman.ok(["export", "-o", exported, "p3"]);
      const theirTree = tarTree(readFileSync(exported), "");
      const strip = (t: string[]) => t.filter((l) => !/ (dev|proc|sys|run|etc\/(hosts|hostname|resolv\.conf)|\.containerenv)\/?( |$)/.test(l.split(" ").slice(2).join(" ") + " ")).map((l) => l.replace(/^(\S+ \S+) /, "$1 "));
      expect(strip(ours).filter((l) => l.includes("opt/app"))).toEqual([
        "-rw-r--r-- 1000/1000 opt/app/x",
        "drwxr-xr-x 0/0 opt/app/",
        "lrwxrwxrwx 0/0 opt/app/link -> x",
      ].sort());
      expect(strip(theirTree)).toEqual(strip(ours));
    } finally {
      podman.cleanup();
    }
  });
});
