// The image the pull benchmark moves: five gzip layers, about 300 MB
// unpacked, mixing what real images hold — incompressible data (binaries,
// already-compressed assets), text that compresses well, many small files
// and a few large ones. Written once as an OCI layout and reused.
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Transform } from "node:stream";
import { createGzip } from "node:zlib";
import { prng } from "./measure.mjs";

const MB = 1024 * 1024;
const MTIME = new Date(1_600_000_000_000);

const WORDS = ("lorem ipsum dolor sit amet container layer registry manifest digest blob config rootfs whiteout opaque " +
  "harbour vessel anchor keel rudder mast sail hull deck cargo tide current wave shore").split(" ");

/** Text that compresses like source code or documentation (about 4:1 with gzip). */
function text(size, rand) {
  const parts = [];
  let n = 0;
  while (n < size) {
    const line = `${Array.from({ length: 4 + ((rand() * 10) | 0) }, () => WORDS[(rand() * WORDS.length) | 0]).join(" ")} ${(rand() * 1e9) | 0}\n`;
    parts.push(line);
    n += line.length;
  }
  return Buffer.from(parts.join("")).subarray(0, size);
}

/** Bytes from a small alphabet: compress about 2:1, like executables. */
function lowEntropy(size) {
  const b = randomBytes(size);
  for (let i = 0; i < b.length; i++) b[i] &= 0x0f;
  return b;
}

/** The five layers, as lists of [path, size, make(size)]. */
function layerPlans() {
  const rand = prng(7);
  const files = (dir, count, size, make) => Array.from({ length: count }, (_, i) => [`${dir}/f${String(i).padStart(5, "0")}`, size, make]);
  return [
    { what: "incompressible: 6 × 10 MB", files: files("opt/assets", 6, 10 * MB, (n) => randomBytes(n)) },
    { what: "text: 4,000 × 15 KB", files: files("usr/share/doc", 4000, 15 * 1024, (n) => text(n, rand)) },
    { what: "mixed: 30 × 1 MB random + 3,000 × 10 KB text", files: [...files("usr/lib/bin", 30, MB, (n) => randomBytes(n)), ...files("usr/lib/text", 3000, 10 * 1024, (n) => text(n, rand))] },
    { what: "one 60 MB low-entropy file", files: [["usr/bin/big-binary", 60 * MB, lowEntropy]] },
    { what: "one 60 MB log file", files: [["var/log/app.log", 60 * MB, (n) => text(n, rand)]] },
  ];
}

class Digest extends Transform {
  constructor() {
    super();
    this.hash = createHash("sha256");
    this.size = 0;
  }
  _transform(chunk, _enc, done) {
    this.hash.update(chunk);
    this.size += chunk.length;
    done(null, chunk);
  }
}

async function writeLayer(repo, blobs, plan) {
  const { pack } = await import(join(repo, "node_modules/tar-stream/index.js"));
  const p = pack();
  const tarDigest = new Digest();
  const gzDigest = new Digest();
  const tmp = join(blobs, `tmp-${process.pid}`);
  const written = pipeline(p, tarDigest, createGzip({ level: 6 }), gzDigest, createWriteStream(tmp));
  const dirs = new Set();
  for (const [path, size, make] of plan.files) {
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join("/");
      if (dirs.has(d)) continue;
      dirs.add(d);
      await new Promise((res, rej) => p.entry({ name: `${d}/`, type: "directory", mode: 0o755, mtime: MTIME }, (e) => (e ? rej(e) : res())));
    }
    const data = make(size);
    await new Promise((res, rej) => p.entry({ name: path, mode: 0o644, mtime: MTIME }, data, (e) => (e ? rej(e) : res())));
  }
  p.finalize();
  await written;
  const digest = `sha256:${gzDigest.hash.digest("hex")}`;
  renameSync(tmp, join(blobs, digest.slice(7)));
  return { digest, size: gzDigest.size, diffId: `sha256:${tarDigest.hash.digest("hex")}`, unpacked: tarDigest.size };
}

function putBlob(blobs, data) {
  const digest = `sha256:${createHash("sha256").update(data).digest("hex")}`;
  writeFileSync(join(blobs, digest.slice(7)), data);
  return { digest, size: data.length };
}

/** Make (once) the OCI layout `dir` with the image tagged "bench"; returns its summary. */
export async function benchImage(repo, dir) {
  const summaryFile = join(dir, "summary.json");
  if (existsSync(summaryFile)) return JSON.parse((await import("node:fs")).readFileSync(summaryFile, "utf8"));
  rmSync(dir, { recursive: true, force: true });
  const blobs = join(dir, "blobs", "sha256");
  mkdirSync(blobs, { recursive: true });
  const layers = [];
  for (const plan of layerPlans()) layers.push({ ...(await writeLayer(repo, blobs, plan)), what: plan.what });
  const config = putBlob(
    blobs,
    Buffer.from(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        created: MTIME.toISOString(),
        config: { Cmd: ["/bin/sh"] },
        rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
        history: layers.map((l) => ({ created: MTIME.toISOString(), created_by: l.what })),
      }),
    ),
  );
  const manifest = putBlob(
    blobs,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
        layers: layers.map((l) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: l.digest, size: l.size })),
      }),
    ),
  );
  writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(
    join(dir, "index.json"),
    JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", ...manifest, annotations: { "org.opencontainers.image.ref.name": "bench" } }] }),
  );
  const summary = {
    manifest: manifest.digest,
    compressedMB: +(layers.reduce((n, l) => n + l.size, 0) / MB).toFixed(1),
    unpackedMB: +(layers.reduce((n, l) => n + l.unpacked, 0) / MB).toFixed(1),
    layers: layers.map((l) => ({ what: l.what, compressedMB: +(l.size / MB).toFixed(1), unpackedMB: +(l.unpacked / MB).toFixed(1) })),
  };
  writeFileSync(summaryFile, JSON.stringify(summary, null, 2));
  return summary;
}
