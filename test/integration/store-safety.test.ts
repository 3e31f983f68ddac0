import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SkiffEnv, isRoot, skiffBin } from "../helpers/cli.js";
import { busyboxEntries, dockerArchive, imageConfig, layerTar, sha256, type TestImage } from "../fixtures/images.js";

// Bad input loses nothing, and the store survives kill -9 and concurrency.

let env: SkiffEnv;
beforeAll(() => {
  env = new SkiffEnv();
});
afterAll(() => env?.cleanup());

const ls = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

function storeState() {
  return {
    layers: ls(join(env.storageRoot, "layers")).sort(),
    blobs: ls(join(env.storageRoot, "blobs", "sha256")).sort(),
    tmp: ls(join(env.storageRoot, "tmp")),
  };
}

async function expectStoreUnchanged(before: ReturnType<typeof storeState>) {
  const after = storeState();
  expect(after.layers).toEqual(before.layers);
  expect(after.blobs).toEqual(before.blobs);
  expect(after.tmp).toEqual([]);
  expect((await env.run(["system", "check"])).code).toBe(0);
}

describe.skipIf(isRoot)("bad input is refused with one clear error and leaves the store as it was", () => {
  test("a layer whose content does not match the config's diff id", async () => {
    const before = storeState();
    const good = await layerTar([{ path: "a.txt", content: "a" }]);
    const other = await layerTar([{ path: "a.txt", content: "b" }]);
    const archive = join(env.base, "mismatch.tar");
    // Config says `good`, archive carries `other` under good's name.
    const img: TestImage = { tags: ["bad:diffid"], layers: [good] };
    const config = imageConfig(img);
    writeFileSync(
      archive,
      await layerTar([
        { path: `${sha256(config).slice(7)}.json`, content: config },
        { path: "l/layer.tar", content: other },
        { path: "manifest.json", content: JSON.stringify([{ Config: `${sha256(config).slice(7)}.json`, RepoTags: ["bad:diffid"], Layers: ["l/layer.tar"] }]) },
      ]),
    );
    const r = await env.run(["load", "-i", archive]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: layer [a-f0-9]{12} \(uncompressed\): digest mismatch: expected sha256:[a-f0-9]{64}, got sha256:[a-f0-9]{64}$/m);
    expect(r.stderr.split("\n").filter(Boolean)).toHaveLength(2);
    await expectStoreUnchanged(before);
  });

  test("a tar-slip layer (../ and a symlink escape) is refused and nothing is written outside", async () => {
    const before = storeState();
    const outside = join(env.base, "work", "pwned");
    for (const [name, layer] of [
      ["dotdot", await layerTar([{ path: `../../../../../../../../..${outside}`, content: "x" }])],
      ["symlink", await layerTar([{ path: "s", type: "symlink", target: join(env.base, "work") }, { path: "s/pwned", content: "x" }])],
    ] as const) {
      const archive = join(env.base, `${name}.tar`);
      await dockerArchive(archive, [{ tags: [`slip:${name}`], layers: [layer] }]);
      const r = await env.run(["load", "-i", archive]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^Error: refusing layer entry .*(climbs out|symlink)/m);
      expect(existsSync(outside)).toBe(false);
    }
    await expectStoreUnchanged(before);
  });

  test("malformed archives: not a tar, no manifest, truncated, bad JSON, zstd layers", async () => {
    const before = storeState();
    const cases: [string, Buffer, RegExp][] = [
      ["garbage", randomBytes(4096), /not a valid tar archive|holds no image/],
      ["empty-tar", await layerTar([{ path: "readme", content: "hi" }]), /holds no image/],
      ["bad-json", await layerTar([{ path: "manifest.json", content: "{nope" }]), /malformed manifest\.json/],
    ];
    const real = join(env.base, "real.tar");
    await dockerArchive(real, [{ tags: ["t:1"], layers: [await layerTar([{ path: "f", content: randomBytes(20000) }])] }]);
    const whole = readFileSync(real);
    cases.push(["truncated", whole.subarray(0, whole.length - 12000), /truncated|missing from the archive/]);
    const zl = await layerTar([{ path: "z", content: "z" }]);
    const zimg = imageConfig({ tags: [], layers: [zl] });
    const zmanifest = JSON.stringify({ schemaVersion: 2, config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha256(zimg), size: zimg.length }, layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+zstd", digest: sha256(zl), size: zl.length }] });
    cases.push([
      "zstd",
      await layerTar([
        { path: "oci-layout", content: '{"imageLayoutVersion":"1.0.0"}' },
        { path: "index.json", content: JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", digest: sha256(zmanifest), size: zmanifest.length }] }) },
        { path: `blobs/sha256/${sha256(zmanifest).slice(7)}`, content: zmanifest },
        { path: `blobs/sha256/${sha256(zimg).slice(7)}`, content: zimg },
        { path: `blobs/sha256/${sha256(zl).slice(7)}`, content: zl },
      ]),
      /zstd-compressed, which skiff does not support/,
    ]);
    for (const [name, bytes, message] of cases) {
      const p = join(env.base, `${name}.bad`);
      writeFileSync(p, bytes);
      const r = await env.run(["load", "-i", p]);
      expect(r.code, name).toBe(1);
      expect(r.stderr, name).toMatch(message);
      expect(r.stderr, name).not.toMatch(/\n\s+at /);
    }
    await expectStoreUnchanged(before);
    const nofile = await env.run(["load", "-i", join(env.base, "does-not-exist.tar")]);
    expect(nofile.stderr).toMatch(/no such file or directory/);
  });
});

describe.skipIf(isRoot)("crash safety and concurrency", () => {
  test("kill -9 at random points of a load leaves a store that passes system check", async () => {
    // ~40 MB in many files and a few big ones, so there is time to be killed in.
    const entries = [
      ...busyboxEntries(),
      ...Array.from({ length: 400 }, (_, i) => ({ path: `data/small-${i}`, content: randomBytes(4096) })),
      ...Array.from({ length: 4 }, (_, i) => ({ path: `data/big-${i}`, content: randomBytes(8 << 20) })),
    ];
    const archive = join(env.base, "big.tar");
    await dockerArchive(archive, [{ tags: ["big:1"], layers: [await layerTar(entries.slice(0, 60)), await layerTar(entries.slice(60))] }], { gzipLayers: true });
    const t0 = Date.now();
    await env.ok(["load", "-i", archive]);
    const full = Date.now() - t0;
    await env.ok(["rmi", "big:1"]);
    for (let round = 0; round < 12; round++) {
      const child = spawn(process.execPath, [skiffBin, "load", "-i", archive], { env: env.env, detached: true, stdio: "ignore" });
      const closed = new Promise((r) => child.on("close", r));
      await new Promise((r) => setTimeout(r, 20 + Math.random() * full));
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        /* already done */
      }
      await closed;
      // The inner process (in the namespace) is in the same process group: gone too.
      const check = await env.run(["system", "check"]);
      expect(check.code, check.stdout + check.stderr).toBe(0);
    }
    await env.ok(["system", "check", "--repair"]);
    expect(storeState().tmp).toEqual([]);
    expect(await env.ok(["load", "-i", archive])).toBe("Loaded image: big:1\n");
    expect((await env.run(["system", "check"])).stdout).toMatch(/No problems found/);
  }, 240_000);

  test("loads and removals running at once never corrupt the store", async () => {
    const layers = await Promise.all([0, 1, 2, 3].map((i) => layerTar([{ path: `f${i}`, content: randomBytes(100_000) }])));
    const shared = await layerTar([{ path: "shared", content: randomBytes(200_000) }]);
    const archives = await Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        const p = join(env.base, `c${i}.tar`);
        await dockerArchive(p, [{ tags: [`c${i}:x`], layers: [shared, layers[i]!] }]);
        return p;
      }),
    );
    for (let round = 0; round < 3; round++) {
      await Promise.all([
        ...archives.map((a) => env.run(["load", "-i", a])),
        ...[0, 1, 2, 3].map((i) => env.run(["rmi", `c${i}:x`])),
      ]);
    }
    await Promise.all(archives.map((a) => env.ok(["load", "-i", a])));
    const check = await env.run(["system", "check"]);
    expect(check.code, check.stdout).toBe(0);
    // Every image is complete: its layers are all present.
    for (let i = 0; i < 4; i++) {
      const layersOf = JSON.parse(await env.ok(["image", "inspect", "-f", "{{json .RootFS.Layers}}", `c${i}:x`])) as string[];
      expect(layersOf).toEqual([sha256(shared), sha256(layers[i]!)]);
    }
  }, 180_000);
});

