import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import tar from "tar-stream";

// A small OCI image made on the spot: one gzip layer (a tar with a few
// files), its config, and the manifest that ties them together.

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

export function digestOf(b: Uint8Array): string {
  return `sha256:${createHash("sha256").update(b).digest("hex")}`;
}

export async function makeTar(files: Record<string, string | Buffer>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name, mode: 0o644, mtime: new Date(0) }, content);
  pack.finalize();
  const parts: Buffer[] = [];
  for await (const c of pack as AsyncIterable<Buffer>) parts.push(c);
  return Buffer.concat(parts);
}

export interface Blob {
  data: Buffer;
  digest: string;
  size: number;
  mediaType: string;
}

export interface TestImage {
  layer: Blob;
  config: Blob;
  manifest: Buffer;
  manifestDigest: string;
}

export function blob(data: Buffer, mediaType = "application/octet-stream"): Blob {
  return { data, digest: digestOf(data), size: data.length, mediaType };
}

/** `extraBytes` of random data make the layer as large as a test needs. */
export async function makeImage(opts: { extraBytes?: number; label?: string } = {}): Promise<TestImage> {
  const files: Record<string, string | Buffer> = { "etc/hello": `hello ${opts.label ?? ""}\n` };
  if (opts.extraBytes) files["data.bin"] = randomBytes(opts.extraBytes);
  const tarData = await makeTar(files);
  const layer = blob(gzipSync(tarData, { level: 1 }), "application/vnd.oci.image.layer.v1.tar+gzip");
  const configDoc = {
    architecture: "amd64",
    os: "linux",
    config: { Cmd: ["/bin/sh"], Labels: opts.label ? { test: opts.label } : undefined },
    rootfs: { type: "layers", diff_ids: [digestOf(tarData)] },
  };
  const config = blob(Buffer.from(JSON.stringify(configDoc)), "application/vnd.oci.image.config.v1+json");
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
      layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }],
    }),
  );
  return { layer, config, manifest, manifestDigest: digestOf(manifest) };
}

/** A stream factory over a buffer, in pieces of `piece` bytes (so chunking is exercised). */
export function streamOf(data: Buffer, piece = 64 * 1024): () => Readable {
  return () => {
    const parts: Buffer[] = [];
    for (let i = 0; i < data.length; i += piece) parts.push(data.subarray(i, i + piece));
    return Readable.from(parts, { objectMode: false });
  };
}

export async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) parts.push(c);
  return Buffer.concat(parts);
}
