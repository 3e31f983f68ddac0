import { posix } from "node:path";
import { InvalidArgumentError } from "../errors.js";
import { globRegex } from "../gotext/path-match.js";

// Which files a COPY/ADD takes and where each lands, by the classic
// builder's rules (pure: no I/O, the callers say what exists):
// - sources are relative to the context root (a leading "/" or ".." cannot
//   leave it); a source with * ? or [ is a pattern (Go's filepath.Match, so
//   `*` stops at "/") matched against every context path;
// - a relative destination continues from WORKDIR;
// - several sources need a destination that ends with "/";
// - a directory source copies its contents, not itself;
// - a file lands at the destination itself, unless the destination ends
//   with "/" or is an existing directory: then inside it, under its name.
// https://docs.docker.com/reference/dockerfile/#copy

/** A source path as the context names it: no leading "/", no "..", "" for the root. */
export function cleanSource(src: string): string {
  const p = posix.normalize(`/${src}`).replace(/^\/+/, "").replace(/\/+$/, "");
  return p === "." ? "" : p;
}

export const hasWildcard = (p: string) => /[*?[]/.test(p);

/** The context paths one source names: itself, or every path its pattern matches. */
export function matchSource(src: string, entries: readonly string[]): string[] {
  const clean = cleanSource(src);
  if (!hasWildcard(clean)) return entries.includes(clean) || clean === "" ? [clean] : [];
  const re = globRegex(clean);
  return entries.filter((e) => re.test(e));
}

export interface Destination {
  /** Absolute, cleaned, no trailing "/" (except the root). */
  path: string;
  /** Written with a trailing "/" (or "." / ".."): a directory. */
  isDir: boolean;
}

export function destination(dest: string, workdir: string | undefined): Destination {
  const isDir = dest.endsWith("/") || dest === "." || dest.endsWith("/.") || dest === ".." || dest.endsWith("/..");
  const abs = dest.startsWith("/") ? dest : `${workdir || "/"}/${dest}`;
  return { path: posix.normalize(abs).replace(/(.)\/+$/, "$1"), isDir };
}

/** Several sources, or a pattern: the destination must be a directory written as one. */
export function checkMultipleSources(count: number, dest: Destination, keyword: string): void {
  if (count > 1 && !dest.isDir)
    throw new InvalidArgumentError(`When using ${keyword} with more than one source file, the destination must be a directory and end with a /`);
}

/**
 * Where one source lands. A directory source: its contents go into the
 * destination directory. A file: the destination itself, or inside it.
 */
export function targetFor(sourcePath: string, sourceIsDir: boolean, dest: Destination, destExistsAsDir: boolean): string {
  if (sourceIsDir) return dest.path;
  if (dest.isDir || destExistsAsDir) return posix.join(dest.path, posix.basename(sourcePath || "/"));
  return dest.path;
}

/** `--chown=user[:group]`: a missing group takes the user's number, as Docker documents. */
export function splitChown(spec: string): { user: string; group?: string } {
  const colon = spec.indexOf(":");
  return colon < 0 ? { user: spec } : { user: spec.slice(0, colon), group: spec.slice(colon + 1) };
}

/** `--chmod=0755` (octal only). */
export function parseChmod(spec: string | undefined): number | undefined {
  if (spec === undefined || spec === "") return undefined;
  if (!/^[0-7]{1,4}$/.test(spec)) throw new InvalidArgumentError(`invalid chmod parameter: ${spec}: only octal modes are supported`);
  return parseInt(spec, 8);
}
