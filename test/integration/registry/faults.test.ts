import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { DigestMismatchError } from "../../../src/errors.js";
import { RegistryClient, type RegistryClientOptions } from "../../../src/registry/client.js";
import { ChallengeError, TransportError } from "../../../src/registry/errors.js";
import { freePort, startFaultyProxy, startRegistry, type FaultyProxy, type TestRegistry } from "../../helpers/registry.js";
import { collect, makeImage, OCI_MANIFEST, streamOf, type TestImage } from "./fixtures.js";

// A real registry behind a proxy that misbehaves on purpose: dropped and
// stalled connections, corrupt and cut bodies, 5xx and 429, bad challenges.

const FAST: RegistryClientOptions = { retry: { baseDelayMs: 10, maxDelayMs: 40 } };
let reg: TestRegistry;
let proxy: FaultyProxy;
let image: TestImage;
const REPO = "faults/app";
const blobPath = () => new RegExp(`/blobs/${image.layer.digest}$`);

beforeAll(async () => {
  reg = await startRegistry();
  image = await makeImage({ extraBytes: 400_000 });
  const direct = new RegistryClient(reg.host);
  for (const b of [image.layer, image.config]) await direct.uploadBlob(REPO, b.digest, b.size, streamOf(b.data));
  await direct.putManifest(REPO, "v1", image.manifest, OCI_MANIFEST);
  direct.close();
  proxy = await startFaultyProxy(reg);
});

afterEach(() => {
  proxy.faults.length = 0;
  proxy.log.length = 0;
});

afterAll(async () => {
  await proxy?.stop();
  await reg?.stop();
});

function client(opts: RegistryClientOptions = {}): RegistryClient {
  return new RegistryClient(proxy.host, { ...FAST, ...opts });
}

describe("blob reads", () => {
  test("a dropped connection resumes with Range and gives identical bytes", async () => {
    proxy.faults.push({ method: "GET", path: blobPath(), kind: "drop", afterBytes: 100_000, times: 2 });
    const resumes: number[] = [];
    const data = await collect(client().openBlob(REPO, image.layer.digest, { size: image.layer.size, onResume: (o) => resumes.push(o) }));
    expect(data.equals(image.layer.data)).toBe(true);
    // What reached us before the reset, not what the proxy wrote: in-flight bytes die with the socket.
    expect(resumes.length).toBe(2);
    expect(resumes[0]).toBeGreaterThan(0);
    expect(resumes[1]).toBeGreaterThan(resumes[0]);
    expect(proxy.log.filter((l) => blobPath().test(l.path)).map((l) => l.range)).toEqual([undefined, `bytes=${resumes[0]}-`, `bytes=${resumes[1]}-`]);
  });

  test("a body that ends short of the known size is resumed", async () => {
    proxy.faults.push({ method: "GET", path: blobPath(), kind: "truncate", afterBytes: 12_345, times: 1 });
    const data = await collect(client().openBlob(REPO, image.layer.digest, { size: image.layer.size }));
    expect(data.equals(image.layer.data)).toBe(true);
  });

  test("a short body of unknown size fails the digest check", async () => {
    proxy.faults.push({ method: "GET", path: blobPath(), kind: "truncate", afterBytes: 12_345, times: 1 });
    const err = await collect(client().openBlob(REPO, image.layer.digest)).catch((e) => e);
    expect(err).toBeInstanceOf(DigestMismatchError);
  });

  test("a corrupted blob is detected", async () => {
    proxy.faults.push({ method: "GET", path: blobPath(), kind: "corrupt", afterBytes: 5000 });
    const err = await collect(client().openBlob(REPO, image.layer.digest, { size: image.layer.size })).catch((e) => e);
    expect(err).toBeInstanceOf(DigestMismatchError);
    expect(err.message).toMatch(new RegExp(`^blob .*faults/app@${image.layer.digest}: digest mismatch: expected ${image.layer.digest}, got sha256:`));
  });

  test("a registry that stalls mid-blob fails within the timeout", async () => {
    proxy.faults.push({ method: "GET", path: blobPath(), kind: "stall", afterBytes: 50_000 });
    const t0 = Date.now();
    const err = await collect(client({ timeoutMs: 300, maxBlobResumes: 1 }).openBlob(REPO, image.layer.digest)).catch((e) => e);
    const elapsed = Date.now() - t0;
    expect(err).toBeInstanceOf(TransportError);
    expect(err.message).toMatch(/timeout: no answer from 127\.0\.0\.1:\d+ for 0\.3s/);
    expect(elapsed).toBeGreaterThanOrEqual(550); // two stalls of 300 ms each
    expect(elapsed).toBeLessThan(3000);
  });

  test("a slow consumer is not mistaken for a stalled registry", async () => {
    const c = client({ timeoutMs: 200 });
    const stream = c.openBlob(REPO, image.layer.digest);
    const parts: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      parts.push(chunk);
      if (parts.length === 1) await new Promise((r) => setTimeout(r, 500));
    }
    expect(Buffer.concat(parts).equals(image.layer.data)).toBe(true);
  });

  test("redirects to blob storage are followed without our credentials", async () => {
    const authReg = await startRegistry({ auth: "htpasswd", users: { u: "p" } });
    const seen: (string | undefined)[] = [];
    const storage = http.createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200, { "Content-Length": image.layer.size });
      res.end(image.layer.data);
    });
    await new Promise<void>((r) => storage.listen(0, "127.0.0.1", r));
    const redirecting = await startFaultyProxy(authReg, [
      {
        method: "GET",
        path: blobPath(),
        kind: "respond",
        respond: (req, res) => {
          seen.push(req.headers.authorization);
          // "localhost" vs "127.0.0.1": another origin, as S3 would be.
          res.writeHead(307, { Location: `http://localhost:${(storage.address() as AddressInfo).port}/bucket/blob?X-Amz-Signature=abc` });
          res.end();
        },
      },
    ]);
    try {
      const c = new RegistryClient(redirecting.host, { credentials: { username: "u", password: "p" } });
      const data = await collect(c.openBlob(REPO, image.layer.digest));
      expect(data.equals(image.layer.data)).toBe(true);
      expect(seen[0]).toMatch(/^Basic /);
      expect(seen[1]).toBeUndefined();
      c.close();
    } finally {
      await redirecting.stop();
      await new Promise((r) => storage.close(r));
      await authReg.stop();
    }
  });
});

describe("retries", () => {
  test("500 twice, then the manifest", async () => {
    proxy.faults.push({ method: "GET", path: /manifests\/v1$/, kind: "status", status: 500, times: 2 });
    const m = await client().getManifest(REPO, "v1");
    expect(m.digest).toBe(image.manifestDigest);
    expect(proxy.log.filter((l) => l.path.endsWith("manifests/v1")).length).toBe(3);
  });

  test("a reset connection is retried", async () => {
    proxy.faults.push({ method: "HEAD", path: /manifests\/v1$/, kind: "reset", times: 2 });
    expect((await client().headManifest(REPO, "v1"))?.digest).toBe(image.manifestDigest);
  });

  test("a manifest body cut mid-way is read again", async () => {
    proxy.faults.push({ method: "GET", path: /manifests\/v1$/, kind: "drop", afterBytes: 10, times: 1 });
    expect((await client().getManifest(REPO, "v1")).raw.equals(image.manifest)).toBe(true);
  });

  test("429 with Retry-After is waited for", async () => {
    proxy.faults.push({ method: "GET", path: /manifests\/v1$/, kind: "status", status: 429, headers: { "Retry-After": "1" }, times: 1 });
    const t0 = Date.now();
    await client().getManifest(REPO, "v1");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
  });

  test("500 every time: the registry's error after the last attempt", async () => {
    proxy.faults.push({ method: "GET", path: /manifests\/v1$/, kind: "status", status: 500 });
    const err = await client().getManifest(REPO, "v1").catch((e) => e);
    expect(err.message).toBe(`fetching manifest for ${proxy.host}/faults/app:v1: unknown: injected failure`);
    expect(err.hint).toMatch(/try again later/);
    expect(proxy.log.length).toBe(1 + 4); // the ping, then four tries
  });

  test("an upload that fails half-way starts again", async () => {
    proxy.faults.push({ method: "PUT", path: /uploads/, kind: "status", status: 503, times: 1 });
    const c = client();
    await c.uploadBlob("faults/again", image.layer.digest, image.layer.size, streamOf(image.layer.data));
    expect(await c.hasBlob("faults/again", image.layer.digest)).toBe(true);
    expect(proxy.log.filter((l) => l.method === "POST").length).toBe(2);
  });

  test("a chunk whose connection resets is resent from where the session stands", async () => {
    proxy.faults.push({ method: "PATCH", path: /uploads/, kind: "reset", times: 1 });
    const c = client();
    await c.uploadBlob("faults/chunks", image.layer.digest, image.layer.size, streamOf(image.layer.data), { chunkSize: 100_000 });
    expect(await c.hasBlob("faults/chunks", image.layer.digest)).toBe(true);
  });
});

describe("refusals", () => {
  test("a manifest over 4 MiB is refused from its Content-Length, without reading it", async () => {
    proxy.faults.push({
      method: "GET",
      path: /manifests\/big$/,
      kind: "respond",
      respond: (_req, res) => {
        res.writeHead(200, { "Content-Type": OCI_MANIFEST, "Content-Length": 5 * 1024 * 1024 });
        res.write("{"); // and then nothing: reading on would hang
      },
    });
    const err = await client({ timeoutMs: 5000 }).getManifest(REPO, "big").catch((e) => e);
    expect(err.message).toBe(`manifest for ${proxy.host}/faults/app:big is larger than 4194304 bytes: refusing it`);
  });

  test("a manifest over 4 MiB without a length is cut off at the limit", async () => {
    let written = 0;
    proxy.faults.push({
      method: "GET",
      path: /manifests\/big$/,
      kind: "respond",
      respond: (_req, res) => {
        res.writeHead(200, { "Content-Type": OCI_MANIFEST });
        const chunk = Buffer.alloc(256 * 1024, 0x20);
        const pump = () => {
          while (written < 64 * 1024 * 1024 && !res.destroyed) {
            written += chunk.length;
            if (!res.write(chunk)) return void res.once("drain", pump);
          }
          res.end();
        };
        res.on("close", () => undefined);
        pump();
      },
    });
    const err = await client().getManifest(REPO, "big").catch((e) => e);
    expect(err.message).toMatch(/is larger than 4194304 bytes: refusing it$/);
    expect(written).toBeLessThan(16 * 1024 * 1024);
  });

  test("a manifest whose bytes do not match Docker-Content-Digest is refused", async () => {
    proxy.faults.push({ method: "GET", path: /manifests\//, kind: "corrupt", afterBytes: 20 });
    const err = await client().getManifest(REPO, "v1").catch((e) => e);
    expect(err).toBeInstanceOf(DigestMismatchError);
    const byDigest = await client().getManifest(REPO, image.manifestDigest).catch((e) => e);
    expect(byDigest).toBeInstanceOf(DigestMismatchError);
  });

  for (const [name, challenge, message] of [
    ["Bearer without realm", 'Bearer service="x"', /sent a malformed Bearer challenge: realm is missing$/],
    ["unterminated quote", 'Bearer realm="http://x', /sent a malformed authentication challenge: /],
    ["unsupported scheme", "Negotiate", /asks for unsupported authentication: negotiate$/],
    ["no challenge at all", "", /requires authentication but sent no WWW-Authenticate challenge$/],
  ] as const) {
    test(`401 with a bad challenge (${name}) is a clear error`, async () => {
      proxy.faults.push({ method: "GET", path: /^\/v2\/$/, kind: "challenge", challenge });
      const err = await client().getManifest(REPO, "v1").catch((e) => e);
      expect(err).toBeInstanceOf(ChallengeError);
      expect(err.message).toMatch(message);
      expect(err.message).toContain(proxy.host);
    });
  }
});

describe("connection errors", () => {
  test("connection refused, in Docker's words", async () => {
    const port = await freePort();
    const err = await new RegistryClient(`127.0.0.1:${port}`).getManifest("a/b", "latest").catch((e) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(err.message).toBe(`Get "http://127.0.0.1:${port}/v2/": dial tcp 127.0.0.1:${port}: connect: connection refused`);
    expect(err.hint).toMatch(/is a registry listening at 127\.0\.0\.1:\d+\?/);
  });

  test("https to a plain-http registry", async () => {
    const err = await new RegistryClient(reg.host, { insecure: false }).ping().catch((e) => e);
    expect(err.message).toBe(`Get "https://${reg.host}/v2/": http: server gave HTTP response to HTTPS client`);
    expect(err.hint).toMatch(/insecure/);
  });

  test("a registry that never answers times out", async () => {
    proxy.faults.push({ method: "GET", path: /manifests\/v1$/, kind: "respond", respond: () => undefined });
    const t0 = Date.now();
    const err = await client({ timeoutMs: 200, retry: { attempts: 2, baseDelayMs: 10 } }).getManifest(REPO, "v1").catch((e) => e);
    expect(err.message).toMatch(/^Get "http:\/\/127\.0\.0\.1:\d+\/v2\/faults\/app\/manifests\/v1": timeout: no answer from 127\.0\.0\.1:\d+ for 0\.2s$/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});

describe("tag pagination (Link headers)", () => {
  test("pages are followed as the registry links them", async () => {
    const tags = ["a", "b", "c", "d", "e"];
    proxy.faults.push({
      method: "GET",
      path: /\/v2\/paged\/tags\/list/,
      kind: "respond",
      respond: (req, res) => {
        const u = new URL(req.url!, "http://x");
        const n = Number(u.searchParams.get("n") ?? 100);
        const start = u.searchParams.has("last") ? tags.indexOf(u.searchParams.get("last")!) + 1 : 0;
        const page = tags.slice(start, start + n);
        const headers: Record<string, string> = { "Content-Type": "application/json" };
        if (start + n < tags.length) headers.Link = `</v2/paged/tags/list?n=${n}&last=${page.at(-1)}>; rel="next"`;
        res.writeHead(200, headers);
        res.end(JSON.stringify({ name: "paged", tags: page }));
      },
    });
    const c = client();
    const first = await c.tagsPage("paged", { n: 2 });
    expect(first).toMatchObject({ items: ["a", "b"], nextLast: "b" });
    expect(await c.listTags("paged", { pageSize: 2 })).toEqual(tags);
    expect(proxy.log.filter((l) => l.path.includes("tags/list")).map((l) => l.path)).toEqual([
      "/v2/paged/tags/list?n=2",
      "/v2/paged/tags/list?n=2",
      "/v2/paged/tags/list?n=2&last=b",
      "/v2/paged/tags/list?n=2&last=d",
    ]);
  });
});
