import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { SkiffEnv, isRoot, skiffBin } from "../../helpers/cli.js";
import { loadBusybox } from "../../helpers/busybox.js";
import { startFaultyProxy, startRegistry, type Fault, type FaultyProxy, type TestRegistry } from "../../helpers/registry.js";
import { RegistryClient } from "../../../src/registry/client.js";
import { digestOf, makeImage, OCI_MANIFEST, streamOf, type TestImage } from "./fixtures.js";
import { errorLines, storeState } from "./store-state.js";

// `skiff pull` from a registry that misbehaves: each failure is one clear
// line (and at most one hint), the store keeps no half-written blob and no
// new image, and the next pull from a registry that behaves again succeeds.
// Exit codes are Docker's: `docker pull` exits 1 on any error, `docker run`
// exits 125 when the engine fails before the container starts (here: while
// pulling the missing image).

let reg: TestRegistry;
let proxy: FaultyProxy;
let env: SkiffEnv;
let image: TestImage;
const REPO = "faults/app";
let ref: string;
const blobPath = () => new RegExp(`/blobs/${image.layer.digest}$`);

beforeAll(async () => {
  reg = await startRegistry();
  image = await makeImage({ extraBytes: 600_000, label: "faults" });
  const direct = new RegistryClient(reg.host);
  for (const b of [image.layer, image.config]) await direct.uploadBlob(REPO, b.digest, b.size, streamOf(b.data));
  await direct.putManifest(REPO, "v1", image.manifest, OCI_MANIFEST);
  direct.close();
  proxy = await startFaultyProxy(reg);
  ref = `${proxy.host}/${REPO}:v1`;
  // Quick timeouts so a silent registry fails in seconds, not minutes.
  env = new SkiffEnv({ SKIFF_REGISTRY_TIMEOUT_MS: "400" });
  await loadBusybox(env);
});

afterEach(() => {
  proxy.faults.length = 0;
  proxy.log.length = 0;
});

afterAll(async () => {
  env?.cleanup();
  await proxy?.stop();
  await reg?.stop();
});

/** The pull fails as Docker's does, leaves the store as it was, and works once the registry behaves. */
async function failsCleanly(faults: Fault[], message: RegExp, opts: { name?: string; run?: boolean } = {}): Promise<string> {
  const name = opts.name ?? ref;
  const before = await storeState(env);
  proxy.faults.push(...faults);
  const r = await env.run(opts.run ? ["run", "--rm", "--network", "none", name, "true"] : ["pull", name], { timeout: 60_000 });
  expect(r.code, r.stderr).toBe(opts.run ? 125 : 1);
  // run reports its pull on stderr first (Docker's "Unable to find image … locally", progress).
  const all = errorLines(r.stderr);
  const lines = opts.run ? all.slice(Math.max(0, all.findIndex((l) => l.startsWith("Error: ")))) : all;
  // The pull's own error is the only one: run adds no second line of its own.
  if (opts.run) expect(lines.filter((l) => l.startsWith("Error: "))).toHaveLength(1);
  expect(lines[0]).toMatch(/^Error: /);
  expect(lines[0]).toMatch(message);
  expect(lines.length, r.stderr).toBeLessThanOrEqual(2);
  if (lines[1]) expect(lines[1]).toMatch(/^Hint: /);
  const after = await storeState(env);
  expect(after.images).toBe(before.images);
  expect(after.tmp).toEqual([]);
  expect(after.badBlobs).toEqual([]);

  proxy.faults.length = 0;
  await env.ok(["pull", "-q", name], { timeout: 60_000 });
  expect(await env.ok(["images", "--format", "{{.Repository}}:{{.Tag}}"])).toContain(name.replace(/@.*/, ""));
  expect((await env.run(["system", "check"])).code).toBe(0);
  await env.ok(["rmi", name]);
  expect((await storeState(env)).images).toBe(before.images);
  return lines[0]!;
}

describe.skipIf(isRoot)("pull from a misbehaving registry", () => {
  test("a layer whose bytes do not match its digest", async () => {
    const wrong = new RegExp(`digest mismatch: expected ${image.layer.digest}, got sha256:|not valid gzip data`);
    await failsCleanly([{ method: "GET", path: blobPath(), kind: "corrupt", afterBytes: 1000 }], wrong);
    // Flipped past the compressed stream's checks: only the digest can tell.
    await failsCleanly([{ method: "GET", path: blobPath(), kind: "corrupt", afterBytes: image.layer.size - 2 }], wrong);
  });

  test("run of an image whose pull fails exits 125", async () => {
    await failsCleanly([{ method: "GET", path: blobPath(), kind: "corrupt", afterBytes: 1000 }], /not valid gzip data|digest mismatch/, { run: true });
    await failsCleanly([{ method: "GET", path: /^\/v2\/$/, kind: "challenge", challenge: "Bearer realm=" }], /malformed/, { run: true });
  });

  test("a layer cut short on every try", async () => {
    await failsCleanly([{ method: "GET", path: blobPath(), kind: "truncate", afterBytes: 50_000 }], /^Error: reading blob sha256:[0-9a-f]{12} from 127\.0\.0\.1:\d+: unexpected EOF after \d+ of \d+ bytes$/);
  });

  test("a manifest over 4 MiB", async () => {
    const huge: Fault = {
      method: "GET",
      path: /manifests\/v1$/,
      kind: "respond",
      respond: (_req, res) => {
        res.writeHead(200, { "Content-Type": OCI_MANIFEST, "Content-Length": 5 * 1024 * 1024 });
        res.write("{");
      },
    };
    await failsCleanly([huge], /is larger than 4194304 bytes: refusing it$/);
  });

  test("a manifest of an unknown media type", async () => {
    const doc = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.example.thing.v1+json", things: [] }));
    const odd: Fault = {
      method: "GET",
      path: /manifests\/v1$/,
      kind: "respond",
      respond: (_req, res) => {
        res.writeHead(200, { "Content-Type": "application/vnd.example.thing.v1+json", "Docker-Content-Digest": digestOf(doc), "Content-Length": doc.length });
        res.end(doc);
      },
    };
    await failsCleanly([odd], /unsupported manifest media type application\/vnd\.example\.thing\.v1\+json/);
  });

  test("a layer of an unknown media type", async () => {
    const doc = JSON.parse(image.manifest.toString()) as { layers: { mediaType: string }[] };
    doc.layers[0]!.mediaType = "application/vnd.example.layer.v1+weird";
    const raw = Buffer.from(JSON.stringify(doc));
    const direct = new RegistryClient(reg.host);
    await direct.putManifest(REPO, "weird", raw, OCI_MANIFEST);
    direct.close();
    const before = await storeState(env);
    const r = await env.run(["pull", `${proxy.host}/${REPO}:weird`], { timeout: 60_000 });
    expect(r.code, r.stderr).toBe(1);
    expect(errorLines(r.stderr)[0]).toMatch(/application\/vnd\.example\.layer\.v1\+weird/);
    expect(errorLines(r.stderr).length).toBeLessThanOrEqual(2);
    const after = await storeState(env);
    expect(after.images).toBe(before.images);
    expect(after.tmp).toEqual([]);
  });

  test("a 401 with a malformed challenge", async () => {
    await failsCleanly([{ method: "GET", path: /^\/v2\/$/, kind: "challenge", challenge: 'Bearer service="x"' }], /malformed Bearer challenge: realm is missing$/);
  });

  test("a registry that stops answering before the manifest", async () => {
    const t0 = Date.now();
    await failsCleanly([{ method: "GET", path: /manifests\/v1$/, kind: "respond", respond: () => undefined }], /timeout: no answer from 127\.0\.0\.1:\d+ for 0\.4s$/);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });

  test("a registry that stops answering in the middle of a layer", async () => {
    await failsCleanly([{ method: "GET", path: blobPath(), kind: "stall", afterBytes: 100_000 }], /timeout: no answer from 127\.0\.0\.1:\d+ for 0\.4s$/);
  });
});

describe.skipIf(isRoot)("kill -9 in the middle of a pull", () => {
  test("the next pull succeeds and the store checks clean", async () => {
    const before = await storeState(env);
    // Hold the layer after some bytes long enough to kill the pull while it writes.
    proxy.faults.push({ method: "GET", path: blobPath(), kind: "stall", afterBytes: 300_000 });
    const child = spawn(process.execPath, [skiffBin, "pull", ref], { env: { ...env.env, SKIFF_REGISTRY_TIMEOUT_MS: "60000" }, stdio: "ignore", detached: true });
    const exited = new Promise((r) => child.once("exit", r));
    const tmp = join(env.storageRoot, "tmp");
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !(proxy.log.some((l) => l.fault === "stall") && readdirSync(tmp).length > 0)) await sleep(50);
    expect(proxy.log.some((l) => l.fault === "stall")).toBe(true);
    expect(readdirSync(tmp).length).toBeGreaterThan(0);
    // The whole command: the CLI and the process it runs inside skiff's user namespace.
    process.kill(-child.pid!, "SIGKILL");
    await exited;
    proxy.faults.length = 0;

    expect((await storeState(env)).images).toBe(before.images);
    await env.ok(["pull", "-q", ref], { timeout: 60_000 });
    const check = await env.run(["system", "check"]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    const state = await storeState(env);
    expect(state.badBlobs).toEqual([]);
    expect(await env.ok(["image", "inspect", "-f", "{{.Id}}", ref])).toBe(`${image.config.digest}\n`);
    await env.ok(["system", "check", "--repair"]);
    expect((await storeState(env)).tmp).toEqual([]);
    await env.ok(["rmi", ref]);
  });

  test("killing only the CLI also ends the pull it runs inside the namespace", async () => {
    proxy.faults.push({ method: "GET", path: blobPath(), kind: "stall", afterBytes: 300_000 });
    const child = spawn(process.execPath, [skiffBin, "pull", ref], { env: { ...env.env, SKIFF_REGISTRY_TIMEOUT_MS: "60000" }, stdio: "ignore" });
    const exited = new Promise((r) => child.once("exit", r));
    /** The CLI, and the pull it runs inside the namespace (skiff's internal entry point, SKIFF_INSIDE in its environment). */
    const pulls = () =>
      readdirSync("/proc")
        .filter((d) => /^\d+$/.test(d))
        .filter((d) => {
          try {
            const argv = readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0");
            if (!argv.includes(skiffBin)) return false;
            if (Number(d) === child.pid) return true;
            return readFileSync(`/proc/${d}/environ`, "utf8").split("\0").includes("SKIFF_INSIDE=1");
          } catch {
            return false;
          }
        })
        .map(Number);
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !(proxy.log.some((l) => l.fault === "stall") && pulls().length >= 2)) await sleep(50);
    const inner = pulls().filter((p) => p !== child.pid);
    expect(inner.length).toBeGreaterThan(0);
    process.kill(child.pid!, "SIGKILL");
    await exited;
    for (let i = 0; i < 100 && pulls().length > 0; i++) await sleep(50);
    proxy.faults.length = 0;
    expect(pulls()).toEqual([]);
    await env.ok(["system", "check", "--repair"]);
    const check = await env.run(["system", "check"]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
  });
});
