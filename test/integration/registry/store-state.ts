import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { SkiffEnv } from "../../helpers/cli.js";

// What a failed or killed pull may leave in a store, and what it may not:
// complete blobs under their digest are fine (a later pull reuses them),
// anything half-written is not.

export interface StoreState {
  images: string;
  tmp: string[];
  /** Blob files whose bytes do not hash to their name. */
  badBlobs: string[];
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

export async function storeState(env: SkiffEnv): Promise<StoreState> {
  const images = await env.ok(["images", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}"]);
  const blobDir = join(env.storageRoot, "blobs", "sha256");
  const badBlobs = list(blobDir).filter((n) => createHash("sha256").update(readFileSync(join(blobDir, n))).digest("hex") !== n);
  return { images, tmp: list(join(env.storageRoot, "tmp")), badBlobs };
}

/** stderr as Docker prints an engine error: one "Error…" line, at most one more line with the fix. */
export function errorLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.trim() !== "");
}
