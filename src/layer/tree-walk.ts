import { readdirSync, type Dirent } from "node:fs";
import { TreePaths, joinPath } from "./paths.js";

// A whole directory tree in the canonical layer order: each directory's
// names sorted by their bytes, a directory's subtree right after it. That is
// the order of compareTarPaths ('/' below every other byte), so packing the
// same tree twice gives the same tar. Only the directories on the current
// path are held in memory, whatever the size of the tree.

/** Every path below `root` (not `root` itself), as byte strings. */
export function* walkTree(root: string): Generator<string> {
  const paths = new TreePaths(root);
  yield* walkDir(paths, "");
}

function* walkDir(paths: TreePaths, dir: string): Generator<string> {
  const entries = readdirSync(paths.fs(dir), { withFileTypes: true, encoding: "buffer" }) as unknown as Dirent<Buffer>[];
  const named = entries.map((d) => ({ name: d.name.toString("latin1"), isDir: d.isDirectory() }));
  // Byte strings: code-unit order is byte order.
  named.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const { name, isDir } of named) {
    const p = joinPath(dir, name);
    yield p;
    if (isDir) yield* walkDir(paths, p);
  }
}
