import { createHash, type Hash } from "node:crypto";
import { InvalidArgumentError } from "../errors.js";

// Content digests as the OCI image spec defines them ("algorithm:encoded",
// https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests).
// Registries in the wild use sha256; sha512 is registered too.

const ALGORITHMS: Record<string, { hash: string; hexLength: number }> = {
  sha256: { hash: "sha256", hexLength: 64 },
  sha512: { hash: "sha512", hexLength: 128 },
};

export function isDigestReference(reference: string): boolean {
  return /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(reference) && reference.includes(":");
}

/** A hash for the digest's algorithm; throws on algorithms or encodings we cannot check. */
export function hasherFor(digest: string): Hash {
  const i = digest.indexOf(":");
  const alg = ALGORITHMS[digest.slice(0, i)];
  const hex = digest.slice(i + 1);
  if (!alg || hex.length !== alg.hexLength || !/^[a-f0-9]+$/.test(hex))
    throw new InvalidArgumentError(`unsupported or malformed digest ${JSON.stringify(digest.slice(0, 150))}`, "digests look like sha256:<64 hex digits>");
  return createHash(alg.hash);
}

/** The digest of `data` with the algorithm of `like` (sha256 when not given). */
export function computeDigest(data: Uint8Array, like?: string): string {
  if (!like) return sha256Digest(data);
  return `${like.slice(0, like.indexOf(":"))}:${hasherFor(like).update(data).digest("hex")}`;
}

export function sha256Digest(data: Uint8Array): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}
