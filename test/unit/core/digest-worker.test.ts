import { createHash } from "node:crypto";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkerSha256Stream } from "../../../src/core/digest-stream.js";
import { DigestWorkers, HIGH_WATER } from "../../../src/core/digest-worker.js";
import { ensureCoreWasm, seeded } from "./fixtures.js";

function randomBytes(r: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

let pool: DigestWorkers;
beforeAll(() => {
  ensureCoreWasm();
  pool = new DigestWorkers(2);
});
afterAll(() => pool.close());

describe("digest workers", () => {
  it("hash several interleaved streams across threads", async () => {
    const r = seeded(11);
    const streams = Array.from({ length: 9 }, () => ({ hash: pool.create(), ref: createHash("sha256") }));
    for (let k = 0; k < 400; k++) {
      const s = streams[Math.floor(r() * streams.length)];
      const part = randomBytes(r, Math.floor(r() * 70000));
      await s.hash.update(part);
      s.ref.update(part);
    }
    const got = await Promise.all(streams.map((s) => s.hash.hex()));
    expect(got).toEqual(streams.map((s) => s.ref.digest("hex")));
    expect((await pool.create().digest()).toString("hex")).toBe(createHash("sha256").digest("hex"));
  });

  it("moves whole buffers without copying when asked, and copies views", async () => {
    const data = randomBytes(seeded(12), 1 << 20);
    const expected = createHash("sha256").update(data).update(data.subarray(10, 5000)).digest("hex");
    const h = pool.create();
    const owned = new Uint8Array(data); // a copy that spans its own ArrayBuffer
    await h.update(owned, { transfer: true });
    expect(owned.byteLength).toBe(0); // moved to the worker
    const view = data.subarray(10, 5000);
    await h.update(view, { transfer: true }); // a view of a larger buffer is copied instead
    expect(view.byteLength).toBe(4990);
    expect(await h.hex()).toBe(expected);
  });

  it("makes a fast producer wait once too much is in flight", async () => {
    const h = pool.create();
    const chunk = Buffer.alloc(1 << 20, 7);
    const ref = createHash("sha256");
    let waited = 0;
    for (let k = 0; k < 24; k++) {
      const p = h.update(chunk);
      ref.update(chunk);
      let settled = false;
      p.then(() => (settled = true));
      await Promise.resolve();
      if (!settled) waited++;
      await p;
    }
    expect(waited).toBeGreaterThan(0);
    expect(24 << 20).toBeGreaterThan(HIGH_WATER);
    expect(await h.hex()).toBe(ref.digest("hex"));
  });

  it("hashes a pipeline off the main thread", async () => {
    const data = randomBytes(seeded(13), 5_000_000);
    const chunks = Array.from({ length: 50 }, (_, i) => data.subarray(i * 100_000, (i + 1) * 100_000));
    const tap = new WorkerSha256Stream(pool);
    let passed = 0;
    await pipeline(Readable.from(chunks), tap, new Writable({ write(c, _e, done) { passed += c.length; done(); } }));
    expect(passed).toBe(data.length);
    expect(tap.hex).toBe(createHash("sha256").update(data).digest("hex"));
  });
});
