import { spawn } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
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

/** The first `want` bytes of a stream (fewer if it ends), and the stream's remaining chunks. */
async function peek(stream: Readable, want: number): Promise<{ head: Buffer; rest: AsyncIterator<Buffer> }> {
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let n = 0;
  while (n < want) {
    const r = await it.next();
    if (r.done) break;
    const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    chunks.push(b);
    n += b.length;
  }
  return { head: Buffer.concat(chunks), rest: it };
}

/** A bare Dockerfile is small; a stream longer than this that is not an archive is refused. */
const MAX_DOCKERFILE = 4 << 20;

async function readRest(head: Buffer, rest: AsyncIterator<Buffer>): Promise<Buffer> {
  const chunks = [head];
  let n = head.length;
  for (let r = await rest.next(); !r.done; r = await rest.next()) {
    n += r.value.length;
    if (n > MAX_DOCKERFILE) throw new InvalidArgumentError("the build context is neither a tar archive nor a Dockerfile", "send a tar (plain or compressed) of the context, or the Dockerfile alone");
    chunks.push(r.value);
  }
  return Buffer.concat(chunks);
}

/**
 * Extract a context archive into `dir` with GNU tar, streaming (a context
 * may be far larger than memory). Names are kept inside `dir`; owners and
 * modes are the user's own, as Docker's daemon keeps only what COPY needs.
 */
async function untarContext(head: Buffer, rest: AsyncIterator<Buffer>, dir: string): Promise<void> {
  const tar = spawn("tar", ["-x", "-f", "-", "-C", dir, "--no-same-owner", "--no-same-permissions"], { stdio: ["pipe", "ignore", "pipe"] });
  let stderr = "";
  tar.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<number>((resolve) => tar.on("close", (code) => resolve(code ?? 1)));
  const input = Readable.from((async function* () {
    yield head;
    for (let r = await rest.next(); !r.done; r = await rest.next()) yield r.value;
  })());
  try {
    await pipeline(input, tar.stdin!);
  } catch {
    /* tar stopped reading: its status says why */
  }
  const code = await done;
  if (code !== 0) throw new SkiffError(`reading the build context: ${stderr.trim() || `tar exited ${code}`}`, { code: 1, status: 400 });
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

export interface ContextSource {
  /** A directory on the host. */
  path?: string;
  /** A tar (plain or compressed) of the context, or a bare Dockerfile: `build -` and the API's request body. */
  stream?: Readable;
  /** The Dockerfile's path (relative to the current directory or the context), or "-" with `dockerfileText`. */
  file?: string;
  /** `build -f -`: the Dockerfile read from stdin by the caller. */
  dockerfileText?: string;
  /** Where a streamed context is extracted (removed by close()). */
  tmpDir: string;
}

export async function openContext(o: ContextSource): Promise<BuildContext> {
  const made: string[] = [];
  const close = () => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
  };
  try {
    let dir: string;
    let dockerfile: string | undefined;
    let dockerfileName = "Dockerfile";
    const path = o.path ?? "-";
    if (o.stream) {
      if (o.file === "-") throw new InvalidArgumentError("invalid argument: can't use stdin for both build context and dockerfile");
      dir = o.tmpDir;
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      made.push(dir);
      const { head, rest } = await peek(o.stream, 512);
      if (archiveKind(head)) await untarContext(head, rest, dir);
      else dockerfile = (await readRest(head, rest)).toString();
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
        dockerfile = o.dockerfileText ?? "";
      } else {
        // A streamed context names its Dockerfile inside itself (the API's `dockerfile`); a directory's may be anywhere.
        const file = !o.file ? join(dir, "Dockerfile") : o.stream ? join(dir, posix.normalize(`/${o.file}`)) : isAbsolute(o.file) ? o.file : existsSync(resolve(o.file)) ? resolve(o.file) : join(dir, o.file);
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
