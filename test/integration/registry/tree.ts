import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import tar from "tar-stream";

// A root filesystem as a comparable listing, read from a tar (`skiff export`,
// `podman export`): path → type, mode, owner, size, content hash, link
// target; hard links as groups of paths sharing one file. Two exports of
// the same image must give equal listings whichever tool wrote them, so the
// listing leaves out what tar writers choose freely (entry order, which
// path of a hard-link group carries the data, mtimes).

export interface TreeEntry {
  type: "file" | "dir" | "symlink" | "fifo" | "char" | "block";
  mode: string;
  owner: string;
  size?: number;
  sha256?: string;
  target?: string;
}

export interface Tree {
  entries: Map<string, TreeEntry>;
  /** Each hard-link group (more than one path), paths sorted, groups sorted. */
  hardlinks: string[][];
}

/** What an engine adds to a container's root when it prepares it: not part of the image. */
export const RUNTIME_PATHS = /^(dev|proc|sys|run|tmp\/\.containerenv|\.containerenv|etc\/(hosts|hostname|resolv\.conf|mtab))(\/|$)/;

const clean = (name: string) => name.replace(/^\.?\/+/, "").replace(/\/+$/, "");

export async function readTree(file: string, skip: RegExp = RUNTIME_PATHS): Promise<Tree> {
  const entries = new Map<string, TreeEntry>();
  const links: [string, string][] = [];
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on("entry", (h, stream, next) => {
      const path = clean(h.name);
      const hash = createHash("sha256");
      let size = 0;
      stream.on("data", (c: Buffer) => {
        hash.update(c);
        size += c.length;
      });
      stream.on("end", () => {
        if (path && !skip.test(path)) {
          const base = { mode: ((h.mode ?? 0) & 0o7777).toString(8).padStart(4, "0"), owner: `${h.uid}:${h.gid}` };
          if (h.type === "file" || h.type === "contiguous-file") entries.set(path, { type: "file", ...base, size, sha256: hash.digest("hex") });
          else if (h.type === "directory") entries.set(path, { type: "dir", ...base });
          else if (h.type === "symlink") entries.set(path, { type: "symlink", ...base, mode: "", target: h.linkname ?? "" });
          else if (h.type === "link") links.push([path, clean(h.linkname ?? "")]);
          else if (h.type === "fifo" || h.type === "character-device" || h.type === "block-device")
            entries.set(path, { type: h.type === "fifo" ? "fifo" : h.type === "character-device" ? "char" : "block", ...base });
          else reject(new Error(`${file}: unexpected entry type ${h.type} for ${path}`));
        }
        next();
      });
      stream.on("error", reject);
    });
    extract.on("finish", resolve);
    extract.on("error", reject);
  });
  createReadStream(file).pipe(extract);
  await done;
  // A hard link is the file it names; the group remembers that they are one.
  const groups = new Map<string, Set<string>>();
  for (const [path, target] of links) {
    const of = entries.get(target);
    if (!of) throw new Error(`${file}: hard link ${path} to ${target}, which is not in the archive`);
    entries.set(path, { ...of });
    const g = groups.get(target) ?? new Set([target]);
    g.add(path);
    groups.set(target, g);
  }
  const hardlinks = [...groups.values()].map((g) => [...g].sort()).sort((a, b) => a[0]!.localeCompare(b[0]!));
  return { entries, hardlinks };
}

/** The listing as sorted lines, for a readable diff when two trees differ. */
export function treeLines(tree: Tree): string[] {
  const lines = [...tree.entries]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([p, e]) => [p, e.type, e.mode, e.owner, e.size ?? "", e.sha256?.slice(0, 16) ?? "", e.target ?? ""].join(" "));
  return [...lines, ...tree.hardlinks.map((g) => `hardlinks: ${g.join(" = ")}`)];
}
