import { statSync, readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SkiffEnv, isRoot } from "../../helpers/cli.js";
import { loadBusybox } from "../../helpers/busybox.js";
import { freePort, startFaultyProxy, startRegistry, type FaultyProxy, type TestRegistry } from "../../helpers/registry.js";
import { RegistryClient } from "../../../src/registry/client.js";
import { blob, digestOf, OCI_MANIFEST, streamOf } from "./fixtures.js";
import { layerTar } from "../../fixtures/images.js";
import { gzipSync } from "node:zlib";

// The registry commands as a user runs them: push and pull keeping digests,
// cross-repository mounts, mirrors and insecure registries from skiff.conf,
// the short-name registry, search, login and logout.

let reg: TestRegistry;
let proxy: FaultyProxy;
let env: SkiffEnv;

beforeAll(async () => {
  reg = await startRegistry();
  proxy = await startFaultyProxy(reg);
  env = new SkiffEnv();
  await loadBusybox(env, "localhost/app:1", [{ path: "srv/", type: "dir" }, { path: "srv/hello", content: "hello\n" }], { Cmd: ["cat", "/srv/hello"] });
});
afterAll(async () => {
  env?.cleanup();
  await proxy?.stop();
  await reg?.stop();
});

/** A manifest as another tool may write it: pretty-printed, keys in its own order. skiff must keep these bytes. */
async function pushOddlyFormatted(repo: string, tag: string): Promise<string> {
  const tarData = await layerTar([{ path: "bin/", type: "dir" }, { path: "bin/busybox", content: readFileSync("/bin/busybox"), mode: 0o755 }, { path: "odd", content: "odd\n" }]);
  const layer = blob(gzipSync(tarData), "application/vnd.oci.image.layer.v1.tar+gzip");
  const config = blob(Buffer.from(JSON.stringify({ os: "linux", architecture: "amd64", rootfs: { diff_ids: [digestOf(tarData)], type: "layers" }, config: { Cmd: ["/bin/busybox", "cat", "/odd"] } })));
  const manifest = Buffer.from(
    JSON.stringify(
      {
        layers: [{ size: layer.size, digest: layer.digest, mediaType: layer.mediaType }],
        config: { size: config.size, digest: config.digest, mediaType: "application/vnd.oci.image.config.v1+json" },
        mediaType: OCI_MANIFEST,
        schemaVersion: 2,
        annotations: { "org.example.note": "written by hand" },
      },
      null,
      3,
    ) + "\n",
  );
  const c = new RegistryClient(reg.host);
  for (const b of [layer, config]) await c.uploadBlob(repo, b.digest, b.size, streamOf(b.data));
  const digest = await c.putManifest(repo, tag, manifest, OCI_MANIFEST);
  c.close();
  expect(digest).toBe(digestOf(manifest));
  return digest;
}

describe.skipIf(isRoot)("push and pull keep digests", () => {
  test("a pulled, unchanged image pushed to another repository keeps its manifest digest, by mounting its blobs", async () => {
    const digest = await pushOddlyFormatted("keep/source", "v1");
    const other = new SkiffEnv();
    try {
      await other.ok(["pull", "-q", `${proxy.host}/keep/source:v1`]);
      await other.ok(["tag", `${proxy.host}/keep/source:v1`, `${proxy.host}/keep/target:v2`]);
      proxy.log.length = 0;
      const out = await other.ok(["push", `${proxy.host}/keep/target:v2`]);
      expect(out).toContain(`v2: digest: ${digest} size: `);
      expect(out).toMatch(/Mounted from keep\/source/);
      // Nothing was uploaded: the layer was mounted, the config found or mounted too.
      const uploads = proxy.log.filter((l) => l.method === "PATCH" || (l.method === "PUT" && l.path.includes("/blobs/uploads/")));
      expect(uploads).toEqual([]);
      expect(proxy.log.some((l) => l.method === "POST" && /\/v2\/keep\/target\/blobs\/uploads\/\?.*mount=sha256/.test(l.path) && l.path.includes("from=keep%2Fsource"))).toBe(true);
      const c = new RegistryClient(reg.host);
      expect((await c.headManifest("keep/target", "v2"))?.digest).toBe(digest);
      c.close();
      // And to another registry: blobs uploaded, the digest still the same.
      const second = await startRegistry();
      try {
        await other.ok(["tag", `${proxy.host}/keep/source:v1`, `${second.host}/elsewhere:v1`]);
        expect(await other.ok(["push", `${second.host}/elsewhere:v1`])).toContain(`v1: digest: ${digest} size: `);
      } finally {
        await second.stop();
      }
      const digests = JSON.parse(await other.ok(["image", "inspect", "-f", "{{json .RepoDigests}}", `${proxy.host}/keep/source:v1`])) as string[];
      expect(digests).toEqual(expect.arrayContaining([`${proxy.host}/keep/source@${digest}`, `${proxy.host}/keep/target@${digest}`]));
    } finally {
      other.cleanup();
    }
  });

  test("push, then pull into an empty store, then run", async () => {
    await env.ok(["tag", "localhost/app:1", `${reg.host}/round/app:1`]);
    const pushed = /digest: (sha256:[0-9a-f]{64})/.exec(await env.ok(["push", `${reg.host}/round/app:1`]))![1];
    const again = await env.ok(["push", `${reg.host}/round/app:1`]);
    expect(again).toMatch(/Layer already exists/);
    expect(again).toContain(`digest: ${pushed}`);
    const other = new SkiffEnv();
    try {
      const out = await other.ok(["pull", `${reg.host}/round/app:1`]);
      expect(out).toContain(`Digest: ${pushed}`);
      expect(out).toContain(`Status: Downloaded newer image for ${reg.host}/round/app:1`);
      expect(await other.ok(["pull", `${reg.host}/round/app:1`])).toContain("Status: Image is up to date");
      expect(await other.ok(["run", "--rm", "--network", "none", `${reg.host}/round/app:1`])).toBe("hello\n");
      expect(await other.ok(["pull", "-q", `${reg.host}/round/app@${pushed}`])).toBe(`${reg.host}/round/app@${pushed}\n`);
    } finally {
      other.cleanup();
    }
  });
});

function writeConf(e: SkiffEnv, text: string): void {
  mkdirSync(join(e.base, "config", "skiff"), { recursive: true });
  writeFileSync(join(e.base, "config", "skiff", "skiff.conf"), text);
}

describe.skipIf(isRoot)("skiff.conf: mirrors, insecure registries, the short-name registry", () => {
  let mirror: TestRegistry;
  let mirrorProxy: FaultyProxy;
  let downPort: number;

  beforeAll(async () => {
    mirror = await startRegistry();
    mirrorProxy = await startFaultyProxy(mirror);
    downPort = await freePort();
    await env.ok(["tag", "localhost/app:1", `${reg.host}/mirrored/app:1`]);
    await env.ok(["push", "-q", `${reg.host}/mirrored/app:1`]);
    await env.ok(["tag", "localhost/app:1", `${mirror.host}/mirrored/app:1`]);
    await env.ok(["push", "-q", `${mirror.host}/mirrored/app:1`]);
  });
  afterAll(async () => {
    await mirrorProxy?.stop();
    await mirror?.stop();
  });

  test("mirrors are tried in order: one down, the next serves the image, the origin is not asked", async () => {
    const e = new SkiffEnv();
    try {
      writeConf(e, `[registry "${proxy.host}"]\nmirrors = 127.0.0.1:${downPort}, ${mirrorProxy.host}\n`);
      proxy.log.length = 0;
      mirrorProxy.log.length = 0;
      await e.ok(["pull", "-q", `${proxy.host}/mirrored/app:1`]);
      expect(mirrorProxy.log.some((l) => /\/v2\/mirrored\/app\/blobs\/sha256:/.test(l.path))).toBe(true);
      expect(proxy.log).toEqual([]);
      expect(await e.ok(["images", "--format", "{{.Repository}}:{{.Tag}}"])).toContain(`${proxy.host}/mirrored/app:1`);
      expect(await e.ok(["run", "--rm", "--network", "none", `${proxy.host}/mirrored/app:1`])).toBe("hello\n");

      const info = await e.ok(["info"]);
      expect(info).toContain(` Mirrors ${proxy.host}: 127.0.0.1:${downPort}, ${mirrorProxy.host}`);
      const json = JSON.parse(await e.ok(["info", "--format", "json"])) as { registries: { mirrors: Record<string, string[]> } };
      expect(json.registries.mirrors[proxy.host]).toEqual([`127.0.0.1:${downPort}`, mirrorProxy.host]);
    } finally {
      e.cleanup();
    }
  });

  test("when every mirror fails (down, or without the image) the origin serves it", async () => {
    const e = new SkiffEnv();
    try {
      writeConf(e, `[registry "${proxy.host}"]\nmirrors = 127.0.0.1:${downPort}, ${mirrorProxy.host}\n`);
      await env.ok(["tag", "localhost/app:1", `${reg.host}/only-at-origin:1`]);
      await env.ok(["push", "-q", `${reg.host}/only-at-origin:1`]);
      proxy.log.length = 0;
      mirrorProxy.log.length = 0;
      await e.ok(["pull", "-q", `${proxy.host}/only-at-origin:1`]);
      expect(mirrorProxy.log.some((l) => l.path === "/v2/only-at-origin/manifests/1")).toBe(true);
      expect(proxy.log.some((l) => /\/v2\/only-at-origin\/blobs\//.test(l.path))).toBe(true);
      // A name nobody has: the origin's answer is the error.
      const r = await e.run(["pull", `${proxy.host}/nobody/has:1`]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^Error: manifest for ${proxy.host.replace(/\./g, "\\.")}/nobody/has:1 not found`, "m"));
    } finally {
      e.cleanup();
    }
  });

  test("the short-name registry and a dotted host name in a [registry] section", async () => {
    const e = new SkiffEnv();
    try {
      writeConf(e, `[registries]\ndefault = ${reg.host}\n\n[registry "registry.example.org"]\nmirrors = ${reg.host}\n`);
      const out = await e.ok(["pull", "mirrored/app:1"]);
      expect(out).toMatch(/1: Pulling from mirrored\/app/);
      expect(out.trim().split("\n").at(-1)).toBe(`${reg.host}/mirrored/app:1`);
      expect(await e.ok(["run", "--rm", "--network", "none", `${reg.host}/mirrored/app:1`])).toBe("hello\n");
      // The short name finds the local image under the configured registry too.
      expect(await e.ok(["run", "--rm", "--network", "none", "mirrored/app:1"])).toBe("hello\n");
      expect(await e.ok(["image", "inspect", "-f", "{{index .RepoTags 0}}", "mirrored/app:1"])).toBe(`${reg.host}/mirrored/app:1\n`);
      // A registry that does not exist, served by its mirror.
      await e.ok(["pull", "-q", "registry.example.org/mirrored/app:1"]);
      const info = await e.ok(["info"]);
      expect(info).toContain(` Default:         ${reg.host}`);
      expect(info).toContain(` Mirrors registry.example.org: ${reg.host}`);
    } finally {
      e.cleanup();
    }
  });

  test("a registry off the loopback needs to be listed as insecure to be spoken to over http", async () => {
    const ip = Object.values((await import("node:os")).networkInterfaces())
      .flat()
      .find((a) => a && a.family === "IPv4" && !a.internal)?.address;
    if (!ip) return;
    // The registry itself listens on 127.0.0.1: forward a public address to it.
    const fwd = net.createServer((s) => {
      const up = net.connect(Number(reg.host.split(":")[1]), "127.0.0.1");
      s.pipe(up).pipe(s);
      s.on("error", () => up.destroy());
      up.on("error", () => s.destroy());
    });
    await new Promise<void>((r) => fwd.listen(0, ip, r));
    const host = `${ip}:${(fwd.address() as net.AddressInfo).port}`;
    const e = new SkiffEnv();
    try {
      const refused = await e.run(["pull", `${host}/mirrored/app:1`]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`Error: Get "https://${host}/v2/": http: server gave HTTP response to HTTPS client`);
      writeConf(e, `[registries]\ninsecure = ${host}\n`);
      await e.ok(["pull", "-q", `${host}/mirrored/app:1`]);
      expect(await e.ok(["info"])).toContain(` Insecure:        ${host}`);
      writeConf(e, `[registry "${host}"]\ninsecure = true\n`);
      await e.ok(["rmi", `${host}/mirrored/app:1`]);
      await e.ok(["pull", "-q", `${host}/mirrored/app:1`]);
    } finally {
      e.cleanup();
      await new Promise((r) => fwd.close(r));
    }
  });

  test("[registries] timeout bounds a silent registry; a bad value is refused", async () => {
    const e = new SkiffEnv({ SKIFF_REGISTRY_TIMEOUT_MS: undefined });
    try {
      writeConf(e, "[registries]\ntimeout = 0.3\n");
      proxy.faults.push({ method: "GET", path: /manifests\/silent$/, kind: "respond", respond: () => undefined });
      const t0 = Date.now();
      const r = await e.run(["pull", `${proxy.host}/mirrored/app:silent`]);
      proxy.faults.length = 0;
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/timeout: no answer from 127\.0\.0\.1:\d+ for 0\.3s/);
      expect(Date.now() - t0).toBeLessThan(15_000);
      expect(await e.ok(["info"])).toContain(" Timeout:         0.3s\n");
      writeConf(e, "[registries]\ntimeout = soon\n");
      const bad = await e.run(["pull", `${proxy.host}/mirrored/app:1`]);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toMatch(/invalid registry timeout "soon"/);
    } finally {
      e.cleanup();
    }
  });
});

describe.skipIf(isRoot)("search", () => {
  test("the catalog of a registry, filtered by the term, with --limit and --format", async () => {
    for (const n of ["search/alpha", "search/beta", "search/gamma", "other/delta"]) {
      await env.ok(["tag", "localhost/app:1", `${reg.host}/${n}:1`]);
      await env.ok(["push", "-q", `${reg.host}/${n}:1`]);
    }
    const table = await env.ok(["search", `${reg.host}/search`]);
    const lines = table.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^NAME\s+DESCRIPTION\s+STARS\s+OFFICIAL$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual([`${reg.host}/search/alpha`, `${reg.host}/search/beta`, `${reg.host}/search/gamma`]);
    expect(await env.ok(["search", "--limit", "2", "--format", "{{.Name}} {{.StarCount}}", `${reg.host}/search`])).toBe(
      `${reg.host}/search/alpha 0\n${reg.host}/search/beta 0\n`,
    );
    expect(await env.ok(["search", "--format", "{{.Name}}", `${reg.host}/delta`])).toBe(`${reg.host}/other/delta\n`);
    expect(await env.ok(["search", "--format", "{{.Name}}", `${reg.host}/nothing-like-it`])).toBe("");
    const bad = await env.run(["search", "--limit", "0", `${reg.host}/search`]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/limit 0 is outside the range \[1, 100\]/);
  });
});

describe.skipIf(isRoot)("login and logout", () => {
  const password = "s3cret-Pa55-word";
  let authReg: TestRegistry;
  beforeAll(async () => {
    authReg = await startRegistry({ auth: "htpasswd", users: { alice: password } });
  });
  afterAll(async () => authReg?.stop());

  test("--password-stdin writes auth.json 0600 and never prints the password; pulls use it; logout removes it", async () => {
    const e = new SkiffEnv();
    try {
      const authFile = join(e.base, "run", "containers", "auth.json");
      const wrong = await e.run(["login", "--username", "alice", "--password-stdin", authReg.host], { input: "nope\n" });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/^Error: .*unauthorized/m);
      expect(existsSync(authFile)).toBe(false);

      const r = await e.run(["login", "--username", "alice", "--password-stdin", authReg.host], { input: `${password}\n` });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe("Login Succeeded\n");
      expect(r.stdout + r.stderr).not.toContain(password);
      expect(statSync(authFile).mode & 0o777).toBe(0o600);
      expect(statSync(join(e.base, "run", "containers")).mode & 0o777).toBe(0o700);
      const file = JSON.parse(readFileSync(authFile, "utf8")) as { auths: Record<string, { auth: string }> };
      expect(Buffer.from(file.auths[authReg.host]!.auth, "base64").toString()).toBe(`alice:${password}`);

      await env.ok(["tag", "localhost/app:1", `${authReg.host}/private/app:1`]);
      const anon = await env.run(["push", `${authReg.host}/private/app:1`]);
      expect(anon.code).toBe(1);
      expect(anon.stderr).toMatch(/unauthorized: authentication required/);
      // Push from a store logged in through the same auth file.
      const pushed = await env.run(["push", "-q", `${authReg.host}/private/app:1`], { env: { REGISTRY_AUTH_FILE: authFile } });
      expect(pushed.code, pushed.stderr).toBe(0);
      await e.ok(["pull", "-q", `${authReg.host}/private/app:1`]);

      expect(await e.ok(["logout", authReg.host])).toBe(`Removing login credentials for ${authReg.host}\n`);
      expect((JSON.parse(readFileSync(authFile, "utf8")) as { auths: Record<string, unknown> }).auths[authReg.host]).toBeUndefined();
      const denied = await e.run(["pull", `${authReg.host}/private/app:1`]);
      expect(denied.code).toBe(1);
      expect(denied.stderr).toMatch(/pull access denied for .*private\/app, repository does not exist or may require 'docker login'/);
      const again = await e.run(["logout", authReg.host]);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/Not logged in to /);
    } finally {
      e.cleanup();
    }
  });

  test("logout also removes a login Docker wrote to config.json", async () => {
    const e = new SkiffEnv({ DOCKER_CONFIG: undefined });
    try {
      const dockerDir = join(e.base, "docker");
      mkdirSync(dockerDir, { mode: 0o700 });
      const config = join(dockerDir, "config.json");
      writeFileSync(config, JSON.stringify({ auths: { [authReg.host]: { auth: Buffer.from(`alice:${password}`).toString("base64") } } }), { mode: 0o600 });
      await e.ok(["pull", "-q", `${authReg.host}/private/app:1`], { env: { DOCKER_CONFIG: dockerDir } });
      expect(await e.ok(["images", "--format", "{{.Repository}}"], { env: { DOCKER_CONFIG: dockerDir } })).toContain(`${authReg.host}/private/app`);
      await e.ok(["logout", authReg.host], { env: { DOCKER_CONFIG: dockerDir } });
      const after = JSON.parse(readFileSync(config, "utf8")) as { auths: Record<string, unknown> };
      expect(after.auths[authReg.host]).toBeUndefined();
      expect(statSync(config).mode & 0o777).toBe(0o600);
    } finally {
      e.cleanup();
    }
  });
});
