import { UnsafeLayerEntryError } from "./errors.js";

// Tar entry names as they come in a layer, made safe to extract: kept apart
// from paths.ts so that the layer's errors (which print paths) and the path
// helpers do not import each other.

/**
 * Normalise a tar entry name. Returns "" for the layer's root ("./", "/", ".").
 * Refuses NUL bytes, absolute names and names whose ".." climbs above the
 * root; a ".." that stays inside is resolved lexically, as Docker's
 * filepath.Clean does — safe because extraction never resolves a path
 * through the filesystem's symlinks.
 */
export function normalizeEntryName(raw: string, what = "name", entry = raw): string {
  // Fast path for the usual "dir/file" or "./dir/file": nothing to resolve.
  const s = raw.startsWith("./") ? raw.slice(2) : raw;
  if (s !== "" && !s.includes("\0") && s.charCodeAt(0) !== 47 && !SPECIAL.test(s)) return s.endsWith("/") ? s.slice(0, -1) : s;

  if (raw.includes("\0")) throw new UnsafeLayerEntryError(entry, `its ${what} contains a NUL byte`);
  if (raw === "") throw new UnsafeLayerEntryError(entry, `its ${what} is empty`);
  const absolute = raw.charCodeAt(0) === 47; /* '/' */
  const out: string[] = [];
  for (const part of raw.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length === 0) throw new UnsafeLayerEntryError(entry, `its ${what} climbs out of the layer with ".."`);
      out.pop();
    } else out.push(part);
  }
  const clean = out.join("/");
  if (absolute && clean !== "") throw new UnsafeLayerEntryError(entry, `its ${what} is an absolute path`);
  return clean;
}

/** A "." or ".." component, or an empty one. */
const SPECIAL = /(?:^|\/)\.\.?(?:\/|$)|\/\//;
