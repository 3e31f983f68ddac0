import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SkiffEnv, isRoot } from "../../helpers/cli.js";
import { busyboxEntries, dockerArchive, layerTar } from "../../fixtures/images.js";

// The copying vfs storage driver: a container's root is a copy of its
// image's layers with their OCI whiteouts applied; `diff` compares it with
// the layers. Also the fallback to it when the fuse device cannot be used.

let env: SkiffEnv;
const vfs = (args: string[]) => ["--storage-driver", "vfs", ...args];

beforeAll(async () => {
  env = new SkiffEnv();
  const layers = [
    await layerTar(busyboxEntries()),
    await layerTar([
      { path: "data/", type: "dir" },
      { path: "data/keep", content: "original\n" },
      { path: "data/gone", content: "deleted by the next layer\n" },
      { path: "data/spare", content: "removed in the container\n" },
      { path: "opq/", type: "dir" },
      { path: "opq/old", content: "hidden by an opaque directory\n" },
      { path: "opq/sub/", type: "dir" },
      { path: "opq/sub/deep", content: "hidden too\n" },
      { path: "swap", content: "a file, later a directory\n" },
    ]),
    await layerTar([
      { path: "data/", type: "dir" },
      { path: "data/.wh.gone", content: "" },
      { path: "opq/", type: "dir" },
      { path: "opq/.wh..wh..opq", content: "" },
      { path: "opq/new", content: "after the opaque marker\n" },
      { path: "swap/", type: "dir" },
      { path: "swap/inside", content: "now a directory\n" },
    ]),
  ];
  const archive = join(env.base, "layered.tar");
  await dockerArchive(archive, [{ tags: ["layered:latest"], layers }]);
  await env.ok(["load", "-i", archive]);
}, 120_000);
afterAll(() => env?.cleanup());

describe.skipIf(isRoot)("vfs storage driver", () => {
  test("info reports the driver in use", async () => {
    expect(await env.ok(vfs(["info"]))).toMatch(/^ Storage Driver: +vfs$/m);
    expect(await env.ok(["info"])).toMatch(/^ Storage Driver: +overlay/m);
  });

  test("a container sees the image's files with the layers' whiteouts applied", async () => {
    const out = await env.ok(vfs(["run", "--rm", "layered", "sh", "-c", "cat /data/keep; ls -A /data; echo --; ls -A /opq; echo --; cat /swap/inside"]));
    expect(out).toBe("original\nkeep\nspare\n--\nnew\n--\nnow a directory\n");
    // No fuse mount was made for it: the root is a plain directory.
    const id = (await env.ok(vfs(["create", "--name", "plain", "layered", "true"]))).trim();
    await env.ok(["start", "-a", "plain"]);
    expect(await env.ok(["inspect", "-f", "{{.Driver}} {{.GraphDriver.Name}}", "plain"])).toBe("vfs vfs\n");
    const pause = env.pausePid()!;
    expect(pause).toBeGreaterThan(0);
    const mounts = readFileSync(`/proc/${pause}/mountinfo`, "utf8");
    expect(mounts).not.toContain(id);
    await env.ok(["rm", "plain"]);
  });

  test("writes stay in the container; diff shows A/C/D; a second container sees the original", async () => {
    await env.ok(vfs(["run", "--name", "writer", "layered", "sh", "-c", "echo changed > /data/keep; rm /data/spare; mkdir /added; echo x > /added/file"]));
    const diff = await env.ok(["diff", "writer"]);
    expect(diff).toBe(["A /added", "A /added/file", "C /data", "C /data/keep", "D /data/spare", ""].join("\n"));
    // The same container keeps its copy across starts.
    const again = await env.run(["start", "-a", "writer"]);
    expect(again.stderr).toMatch(/rm: can't remove '\/data\/spare'/);
    expect(again.stderr).toMatch(/mkdir: can't create directory '\/added': File exists/);
    const other = await env.ok(vfs(["run", "--rm", "layered", "sh", "-c", "cat /data/keep /data/spare; test ! -e /added && echo clean"]));
    expect(other).toBe("original\nremoved in the container\nclean\n");
    expect(await env.ok(["diff", "writer"])).toBe(diff);
    await env.ok(["rm", "writer"]);
  });

  test("diff reads the same changes from a fuse-overlayfs container", async () => {
    const script = "echo changed > /data/keep; rm /data/spare; mkdir /added; echo x > /added/file";
    await env.ok(vfs(["run", "--name", "on-vfs", "layered", "sh", "-c", script]));
    await env.ok(["--storage-driver", "overlay", "run", "--name", "on-overlay", "layered", "sh", "-c", script]);
    expect(await env.ok(["inspect", "-f", "{{.Driver}}", "on-overlay"])).toBe("overlay\n");
    const onVfs = await env.ok(["diff", "on-vfs"]);
    expect(onVfs).toBe(["A /added", "A /added/file", "C /data", "C /data/keep", "D /data/spare", ""].join("\n"));
    expect(await env.ok(["diff", "on-overlay"])).toBe(onVfs);
    await env.ok(["rm", "on-vfs", "on-overlay"]);
  });

  test("export and cp read the copy", async () => {
    await env.ok(vfs(["run", "--name", "exp", "layered", "sh", "-c", "echo made > /made"]));
    await env.ok(["export", "-o", join(env.base, "exp.tar"), "exp"]);
    const listing = spawnSync("tar", ["-tf", join(env.base, "exp.tar")], { encoding: "utf8" }).stdout.split("\n");
    expect(listing).toContain("made");
    expect(listing).toContain("data/keep");
    expect(listing).not.toContain("data/gone");
    await env.ok(["cp", "exp:/made", join(env.base, "made.txt")]);
    expect(readFileSync(join(env.base, "made.txt"), "utf8")).toBe("made\n");
    await env.ok(["rm", "exp"]);
  });

  test("commit makes one layer of a vfs container's changes: additions, edits, deletions", async () => {
    await env.ok(vfs(["run", "--name", "tocommit", "layered", "sh", "-c", "mkdir /made && echo new > /made/f && echo edited > /data/keep && rm /data/spare && rm -r /opq"]));
    const id = (await env.ok(["commit", "tocommit", "committed:vfs"])).trim();
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    const layers = JSON.parse(await env.ok(["image", "inspect", "-f", "{{json .RootFS.Layers}}", "committed:vfs"])) as string[];
    expect(layers).toHaveLength(4);
    // The new layer's tar: the changes and nothing of the runtime's placeholders.
    await env.ok(["save", "-o", join(env.base, "committed.tar"), "committed:vfs"]);
    const outer = spawnSync("tar", ["-xOf", join(env.base, "committed.tar"), "manifest.json"], { encoding: "utf8" }).stdout;
    const top = (JSON.parse(outer) as { Layers: string[] }[])[0]!.Layers.at(-1)!;
    const inner = spawnSync("sh", ["-c", `tar -xOf '${join(env.base, "committed.tar")}' '${top}' | tar -tf -`], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
    expect(inner.sort()).toEqual(["data/", "data/.wh.spare", "data/keep", "made/", "made/f", ".wh.opq"].sort());
    // Both drivers run it the same way.
    const check = "cat /made/f /data/keep; ls -A /data; test -e /opq || echo no-opq";
    const expected = "new\nedited\nkeep\nno-opq\n";
    expect(await env.ok(vfs(["run", "--rm", "committed:vfs", "sh", "-c", check]))).toBe(expected);
    expect(await env.ok(["run", "--rm", "committed:vfs", "sh", "-c", check])).toBe(expected);
    await env.ok(["rm", "tocommit"]);
  });

  test("an unusable fuse device falls back to vfs with one warning line", async () => {
    const noFuse = { SKIFF_FUSE_DEVICE: join(env.base, "no-such-fuse") };
    expect(await env.ok(["info"], { env: noFuse })).toMatch(/^ Storage Driver: +vfs$/m);
    const r = await env.run(["run", "--name", "fallback", "layered", "cat", "/data/keep"], { env: noFuse });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("original\n");
    const warnings = r.stderr.split("\n").filter(Boolean);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^WARNING: .*vfs storage driver/);
    expect(await env.ok(["inspect", "-f", "{{.Driver}}", "fallback"])).toBe("vfs\n");
    // Asking for a driver explicitly is not a fallback: no warning.
    const asked = await env.run(vfs(["run", "--rm", "layered", "true"]), { env: noFuse });
    expect(asked.code, asked.stderr).toBe(0);
    expect(asked.stderr).toBe("");
    await env.ok(["rm", "fallback"]);
  });
});
