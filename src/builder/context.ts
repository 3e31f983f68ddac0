import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readFileSync, readSync as readSyncFd, readdirSync, rmSync, statSync } from "node:fs";
import { isAbsolute, join, posix, resolve } from "node:path";
import dockerignore, { type Ignore } from "@balena/dockerignore";
import { InvalidArgumentError, SkiffError } from "../errors.js";

// The build context: the directory COPY and ADD read from, less what
// .dockerignore excludes, and the Dockerfile. `skiff build -` reads stdin as
// Docker does: a tar (plain or compressed) is the context, anything else is
// a Dockerfile with an empty context.
// https://docs.docker.com/build/concepts/context/#dockerignore-files

export interface BuildContext {
  /** The context's root directory (empty for a bare Dockerfile on stdin). */
  dir: string;
  dockerfile: string;
  /** As error messages name it. */
  dockerfileName: string;
  /** Whether a path (relative to the context root, "/" separated) is left out by .dockerignore. */
  excluded(rel: string): boolean;
  close(): void;
}

/** Read all of stdin. */
function readStdin(): Buffer {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(1 << 16);
  for (;;) {
    let n: number;
    try {
      n = readSyncFd(0, buf);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EAGAIN") continue;
      if ((e as NodeJS.ErrnoException).code === "EOF") break;
      throw e;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks);
}

/** tar, gzip, bzip2 or xz, by their magic bytes. */
export function archiveKind(head: Buffer): "tar" | "gzip" | "bzip2" | "xz" | undefined {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head.length >= 3 && head.subarray(0, 3).toString("latin1") === "BZh") return "bzip2";
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return "xz";
  if (head.length >= 262 && head.subarray(257, 262).toString("latin1") === "ustar") return "tar";
  return undefined;
}

/** .dockerignore lines: comments and blank lines dropped, each pattern cleaned as Docker's ReadAll does. */
export function parseDockerignore(text: string): string[] {
  const out: string[] = [];
  for (let line of text.split(/\r?\n/)) {
    if (line.startsWith("#")) continue;
    line = line.trim();
    if (line === "") continue;
    let negate = false;
    if (line.startsWith("!")) {
      negate = true;
      line = line.slice(1).trim();
    }
    let p = posix.normalize(line).replace(/^\/+/, "");
    if (p.length > 1 && p.endsWith("/")) p = p.slice(0, -1);
    if (p === "" || p === ".") p = ".";
    out.push(negate ? `!${p}` : p);
  }
  return out;
}

/** A matcher for a context: true for the paths .dockerignore leaves out. */
export function ignoreMatcher(patterns: string[]): (rel: string) => boolean {
  if (patterns.length === 0) return () => false;
  const ig = ignore().add(patterns);
  return (rel) => {
    const p = rel.replace(/^\/+|\/+$/g, "");
    if (p === "" || p === ".") return false;
    return ig.ignores(p);
  };
}

// A CommonJS module whose types declare an ES default export: take whichever form the loader gives.
type IgnoreFactory = (o?: { ignorecase?: boolean }) => Ignore;
const ignore: IgnoreFactory = (dockerignore as unknown as { default?: IgnoreFactory }).default ?? (dockerignore as unknown as IgnoreFactory);

export async function openContext(path: string, o: { file?: string; tmpDir: string }): Promise<BuildContext> {
  const made: string[] = [];
  const close = () => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
  };
  try {
    let dir: string;
    let dockerfile: string | undefined;
    let dockerfileName = "Dockerfile";
    if (path === "-") {
      if (o.file === "-") throw new InvalidArgumentError("invalid argument: can't use stdin for both build context and dockerfile");
      const input = readStdin();
      dir = o.tmpDir;
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      made.push(dir);
      if (archiveKind(input)) {
        const r = spawnSync("tar", ["-x", "-f", "-", "-C", dir, "--no-same-owner", "--no-same-permissions"], { input, maxBuffer: 1 << 20 });
        if (r.status !== 0) throw new SkiffError(`reading the build context from stdin: ${r.stderr.toString().trim()}`);
      } else {
        dockerfile = input.toString();
      }
    } else {
      dir = resolve(path);
      let st;
      try {
        st = statSync(dir);
      } catch {
        throw new InvalidArgumentError(`unable to prepare context: path "${path}" not found`);
      }
      if (!st.isDirectory()) throw new InvalidArgumentError(`unable to prepare context: context must be a directory: ${dir}`);
    }
    if (dockerfile === undefined) {
      if (o.file === "-") {
        dockerfile = readStdin().toString();
      } else {
        const file = o.file ? (isAbsolute(o.file) ? o.file : existsSync(resolve(o.file)) || path === "-" ? resolve(path === "-" ? dir : ".", o.file) : join(dir, o.file)) : join(dir, "Dockerfile");
        dockerfileName = o.file ?? "Dockerfile";
        let text: string | undefined;
        try {
          text = readFileSync(file, "utf8");
        } catch {
          // Docker also accepts a lower-case "dockerfile" when none was named.
          if (!o.file && existsSync(join(dir, "dockerfile"))) text = readFileSync(join(dir, "dockerfile"), "utf8");
        }
        if (text === undefined) throw new InvalidArgumentError(`unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${file}: no such file or directory`);
        dockerfile = text;
      }
    }
    let patterns: string[] = [];
    const ignoreFile = join(dir, ".dockerignore");
    if (existsSync(ignoreFile) && lstatSync(ignoreFile).isFile()) patterns = parseDockerignore(readFileSync(ignoreFile, "utf8"));
    return { dir, dockerfile, dockerfileName, excluded: ignoreMatcher(patterns), close };
  } catch (e) {
    close();
    throw e;
  }
}

/** Every path of the context that .dockerignore keeps, "/" separated, parents before children. */
export function contextEntries(dir: string, excluded: (rel: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (rel: string): boolean => {
    let kept = false;
    let names: string[];
    try {
      names = readdirSync(rel ? join(dir, rel) : dir).sort();
    } catch {
      return false;
    }
    for (const name of names) {
      const p = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(dir, p));
      const at = out.length;
      const ex = excluded(p);
      if (!ex) out.push(p);
      // An excluded directory is still walked: a "!" exception may bring back something below it.
      const inner = st.isDirectory() ? walk(p) : false;
      if (ex && inner) out.splice(at, 0, p);
      kept ||= !ex || inner;
    }
    return kept;
  };
  walk("");
  return out;
}
