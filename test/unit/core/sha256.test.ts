import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Writable } from "node:stream";
import { beforeAll, describe, expect, it } from "vitest";
import { Sha256, sha256, sha256Hex, sha256HexOf, sha256Stream } from "../../../src/core/sha256.js";
import { ensureCoreWasm, seeded } from "./fixtures.js";

const reference = (...parts: Uint8Array[]) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex");
};

function randomBytes(r: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

beforeAll(() => ensureCoreWasm());

describe("SHA-256 in core.wasm", () => {
  it("matches node:crypto for every length from 0 to 4096 bytes", () => {
    const data = randomBytes(seeded(1), 4096);
    for (let n = 0; n <= 4096; n++) {
      const part = data.subarray(0, n);
      expect(sha256Hex(part), `length ${n}`).toBe(reference(part));
    }
  });

  it("matches node:crypto for random chunkings", () => {
    const r = seeded(2);
    // Sizes around the 16 KiB staging threshold and beyond the 1 MiB copy size.
    const data = randomBytes(r, 2_500_000);
    for (let round = 0; round < 40; round++) {
      const h = new Sha256();
      let off = 0;
      while (off < data.length) {
        const scale = [1, 64, 70, 16384, 65536, 1_200_000][Math.floor(r() * 6)];
        const n = Math.min(data.length - off, Math.floor(r() * scale) + (r() < 0.1 ? 0 : 1));
        h.update(data.subarray(off, off + n));
        off += n;
      }
      expect(h.hex()).toBe(reference(data));
    }
  });

  it("keeps many interleaved contexts apart", () => {
    const r = seeded(3);
    const streams = Array.from({ length: 300 }, () => ({ hash: new Sha256(), parts: [] as Buffer[] }));
    for (let k = 0; k < 3000; k++) {
      const s = streams[Math.floor(r() * streams.length)];
      const part = randomBytes(r, Math.floor(r() * (r() < 0.05 ? 40000 : 200)));
      s.hash.update(part);
      s.parts.push(part);
    }
    for (const s of streams) expect(s.hash.hex()).toBe(reference(...s.parts));
  });

  it("hashes strings as UTF-8 and returns the same digest twice", () => {
    expect(sha256("héllo").toString("hex")).toBe(createHash("sha256").update("héllo", "utf8").digest("hex"));
    const h = new Sha256().update("abc");
    expect(h.hex()).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(h.hex()).toBe(h.digest().toString("hex"));
    expect(() => h.update("more")).toThrow(/after digest/);
  });

  it("hashes what flows through a stream, and async sources", async () => {
    const data = randomBytes(seeded(4), 3_000_000);
    const chunks = Array.from({ length: 30 }, (_, i) => data.subarray(i * 100_000, (i + 1) * 100_000));
    const tap = sha256Stream();
    let passed = 0;
    await pipeline(Readable.from(chunks), tap, new Writable({ write(c, _e, done) { passed += c.length; done(); } }));
    expect(passed).toBe(data.length);
    expect(tap.hex).toBe(reference(data));
    expect(await sha256HexOf(Readable.from(chunks))).toBe(reference(data));
  });

  it("hashes a 1 GiB stream fed in 1 MiB chunks", () => {
    const MiB = 1 << 20;
    const base = randomBytes(seeded(5), MiB);
    const chunk = Buffer.alloc(MiB);
    const ours = new Sha256();
    const theirs = createHash("sha256");
    for (let k = 0; k < 1024; k++) {
      // Every chunk differs: the base with the chunk number stamped in.
      base.copy(chunk);
      chunk.writeUInt32LE(k, (k * 4099) % (MiB - 4));
      ours.update(chunk);
      theirs.update(chunk);
    }
    expect(ours.hex()).toBe(theirs.digest("hex"));
  }, 120_000);
});
