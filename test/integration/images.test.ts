import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SkiffEnv, isRoot } from "../helpers/cli.js";
import { busyboxEntries, dockerArchive, layerTar, ociArchive, sha256, type TestImage } from "../fixtures/images.js";
import { parseSubid } from "../../src/userns/subid.js";

// The image store as an unprivileged user: load, save, import, tag, rmi,
// inspect, history, system check — real namespaces, real files.

const me = userInfo();
let env: SkiffEnv;
let base: Buffer;
let app: Buffer;
let img: TestImage;

beforeAll(async () => {
  env = new SkiffEnv();
  base = await layerTar(busyboxEntries());
  app = await layerTar([
    { path: "app/", type: "dir", uid: 1000, gid: 1000 },
    { path: "app/hello.txt", content: "hello\n", uid: 1000, gid: 1000 },
    { path: "app/same.txt", type: "link", target: "app/hello.txt", uid: 1000, gid: 1000 },
    { path: "app/run", content: "#!/bin/sh\necho run\n", mode: 0o4755 },
    { path: "app/link", type: "symlink", target: "/etc/passwd" },
    { path: "etc/.wh.group", content: "" },
    { path: "tmp/.wh..wh..opq", content: "" },
  ]);
  img = { tags: ["example.com/app:1"], layers: [base, app], run: { Cmd: ["sh", "-c", "cat /app/hello.txt"], Labels: { "org.example": "yes" } } };
});
afterAll(() => env?.cleanup());

/** `find` inside the namespace: what container owners the files have. */
async function listing(dir: string): Promise<string[]> {
  const out = await env.ok(["unshare", "find", dir, "-mindepth", "1", "-printf", "%P %y %m %U:%G %s %l\\n"]);
  return out.split("\n").filter(Boolean).map((l) => l.trimEnd()).sort();
}

describe.skipIf(isRoot)("images", () => {
  test("load a docker-archive: layers extracted with container owners, whiteouts kept, shared base stored once", async () => {
    const archive = join(env.base, "two.tar");
    await dockerArchive(archive, [img, { tags: ["example.com/base:latest"], layers: [base] }]);
    const out = await env.ok(["load", "-i", archive]);
    expect(out).toContain("Loaded image: example.com/app:1");
    expect(out).toContain("Loaded image: example.com/base:latest");
    const layers = readdirSync(join(env.storageRoot, "layers"));
    expect(layers).toHaveLength(2);
    const appChain = sha256(`${sha256(base)} ${sha256(app)}`);
    const appDir = join(env.storageRoot, "layers", appChain.slice(7), "diff");
    const files = await listing(appDir);
    expect(files).toContain("app d 755 1000:1000 4096");
    expect(files).toContain("app/hello.txt f 644 1000:1000 6");
    expect(files).toContain("app/run f 4755 0:0 19");
    expect(files).toContain("app/link l 777 0:0 11 /etc/passwd");
    expect(files).toContain("etc/.wh.group f 644 0:0 0");
    expect(files).toContain("tmp/.wh..wh..opq f 644 0:0 0");
    // Seen from outside: container uid 1000 is subuid-start + 999; the hard link shares the inode.
    const start = parseSubid(readFileSync("/etc/subuid", "utf8"), me.username, me.uid)[0]!.start;
    expect(statSync(join(appDir, "app/hello.txt")).uid).toBe(start + 999);
    expect(statSync(join(appDir, "app/same.txt")).ino).toBe(statSync(join(appDir, "app/hello.txt")).ino);
    expect(statSync(join(appDir, "app/run")).uid).toBe(me.uid);
  });

  test("images, inspect and history show Docker's columns and shape", async () => {
    const rows = (await env.ok(["images"])).trim().split("\n");
    expect(rows[0]).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
    expect(rows.some((r) => /^example\.com\/app\s+1\s+[a-f0-9]{12}\s+.*ago\s+\d/.test(r))).toBe(true);
    const [inspect] = JSON.parse(await env.ok(["image", "inspect", "example.com/app:1"])) as Record<string, unknown>[];
    expect(inspect!.RepoTags).toEqual(["example.com/app:1"]);
    expect((inspect!.RootFS as { Layers: string[] }).Layers).toEqual([sha256(base), sha256(app)]);
    expect((inspect!.Config as { Cmd: string[] }).Cmd).toEqual(["sh", "-c", "cat /app/hello.txt"]);
    expect(await env.ok(["image", "inspect", "-f", "{{index .Config.Labels \"org.example\"}} {{.Os}}", "example.com/app:1"])).toBe("yes linux\n");
    expect(await env.ok(["images", "--format", "{{.Repository}}:{{.Tag}}", "example.com/app"])).toBe("example.com/app:1\n");
    const json = (await env.ok(["images", "--format", "json"])).trim().split("\n").map((l) => JSON.parse(l) as { Repository: string });
    expect(json.map((j) => j.Repository).sort()).toEqual(["example.com/app", "example.com/base"]);
    const hist = (await env.ok(["history", "example.com/app:1"])).trim().split("\n");
    expect(hist[0]).toMatch(/^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
    expect(hist[1]).toMatch(/^[a-f0-9]{12}\s+.*layer 1/);
    expect(hist[2]).toMatch(/^<missing>\s+.*layer 0/);
    const missing = await env.run(["image", "inspect", "nope"]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe("[]\n");
    expect(missing.stderr).toBe("Error: No such image: nope\n");
  });

  test("save and load round trip keeps the image id; oci-archive too", async () => {
    const id = (await env.ok(["image", "inspect", "-f", "{{.Id}}", "example.com/app:1"])).trim();
    const tarPath = join(env.base, "saved.tar");
    await env.ok(["save", "-o", tarPath, "example.com/app:1"]);
    const members = spawnSync("tar", ["-tf", tarPath], { encoding: "utf8" }).stdout.split("\n");
    expect(members).toContain("manifest.json");
    expect(members).toContain(`${sha256(app).slice(7)}/layer.tar`);
    // The saved layer is the original tar, byte for byte.
    const saved = spawnSync("tar", ["-xOf", tarPath, `${sha256(app).slice(7)}/layer.tar`]).stdout;
    expect(sha256(saved)).toBe(sha256(app));
    const oci = join(env.base, "saved-oci.tar");
    await env.ok(["save", "--format", "oci-archive", "-o", oci, "example.com/app:1"]);
    await env.ok(["rmi", "example.com/app:1"]);
    expect((await env.run(["image", "inspect", "example.com/app:1"])).code).toBe(1);
    expect(await env.ok(["load", "-i", oci])).toBe("Loaded image: example.com/app:1\n");
    expect((await env.ok(["image", "inspect", "-f", "{{.Id}}", "example.com/app:1"])).trim()).toBe(id);
    await env.ok(["rmi", "example.com/app:1"]);
    expect(await env.ok(["load"], { input: readFileSync(tarPath) })).toBe("Loaded image: example.com/app:1\n");
    expect((await env.ok(["image", "inspect", "-f", "{{.Id}}", "example.com/app:1"])).trim()).toBe(id);
  });

  test("gzip-compressed archives and OCI archives from stdin load too", async () => {
    const gz = join(env.base, "gz.tar");
    await dockerArchive(gz, [{ tags: ["gz/one:x"], layers: [base] }], { gzipLayers: true });
    writeFileSync(`${gz}.gz`, gzipSync(readFileSync(gz)));
    expect(await env.ok(["load", "-i", `${gz}.gz`])).toBe("Loaded image: gz/one:x\n");
    const oci = join(env.base, "in.oci.tar");
    await ociArchive(oci, [{ tags: ["docker.io/library/oci:stdin"], layers: [base, app] }]);
    expect(await env.ok(["load"], { input: readFileSync(oci) })).toBe("Loaded image: oci:stdin\n");
  });

  test("tag and rmi follow Docker's rules", async () => {
    await env.ok(["tag", "example.com/base:latest", "other/name:v1"]);
    await env.ok(["tag", "other/name:v1", "other/name:v2"]);
    // A name with other names left: only untagged.
    expect(await env.ok(["rmi", "other/name:v2"])).toBe("Untagged: other/name:v2\n");
    // By id with names in several repositories: refused without -f.
    const id = (await env.ok(["image", "inspect", "-f", "{{.Id}}", "other/name:v1"])).trim();
    const refused = await env.run(["rmi", id.slice(7, 19)]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/unable to delete [a-f0-9]{12} \(must be forced\) - image is referenced in multiple repositories/);
    const forced = await env.ok(["rmi", "-f", id.slice(7, 19)]);
    expect(forced).toContain("Untagged: other/name:v1");
    expect(forced).toContain("Untagged: example.com/base:latest");
    expect(forced).toContain(`Deleted: ${id}`);
    // The base layer is still used by other images, so it stays.
    expect(existsSync(join(env.storageRoot, "layers", sha256(base).slice(7)))).toBe(true);
    const missing = await env.run(["rmi", "no/such:image"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("Error: No such image: no/such:image\n");
  });

  test("import a rootfs tarball with --change and -m", async () => {
    const rootfs = join(env.base, "rootfs.tar.gz");
    writeFileSync(rootfs, gzipSync(base));
    const out = await env.ok(["import", "-c", "CMD [\"sh\", \"-c\", \"echo hi\"]", "-c", "ENV A=1 B=two", "-c", "EXPOSE 8080", "-c", "WORKDIR /app", "-m", "imported!", rootfs, "imp:1"]);
    expect(out).toMatch(/^sha256:[a-f0-9]{64}\n$/);
    const [i] = JSON.parse(await env.ok(["image", "inspect", "imp:1"])) as { Config: Record<string, unknown>; Comment: string; RootFS: { Layers: string[] } }[];
    expect(i!.Config.Cmd).toEqual(["sh", "-c", "echo hi"]);
    expect(i!.Config.Env).toEqual(["A=1", "B=two"]);
    expect(i!.Config.ExposedPorts).toEqual({ "8080/tcp": {} });
    expect(i!.Config.WorkingDir).toBe("/app");
    expect(i!.Comment).toBe("imported!");
    expect(i!.RootFS.Layers).toEqual([sha256(base)]);
    const bad = await env.run(["import", "-c", "RUN echo", rootfs]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/RUN is not a valid change command/);
  });

  test("system check passes on a healthy store and finds a corrupted blob", async () => {
    const ok = await env.run(["system", "check"]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/No problems found/);
    const archive = join(env.base, "victim.tar");
    const victimLayer = await layerTar([{ path: "victim.txt", content: "v" }]);
    await dockerArchive(archive, [{ tags: ["victim:1"], layers: [victimLayer] }]);
    await env.ok(["load", "-i", archive]);
    const blob = join(env.storageRoot, "blobs", "sha256", sha256(victimLayer).slice(7));
    writeFileSync(blob, "garbage");
    const bad = await env.run(["system", "check"]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/content does not match its digest/);
    const repaired = await env.run(["system", "check", "--repair"]);
    expect(repaired.code).toBe(0);
    expect((await env.run(["image", "inspect", "victim:1"])).code).toBe(1);
    expect((await env.run(["system", "check"])).code).toBe(0);
  });
});
