import { readdirSync } from "node:fs";
import { SkiffError } from "../errors.js";
import type { NamespaceExec } from "../mount/overlay.js";

// Docker fills an empty volume with what the image has at the mount path
// ("populate a volume using a container", docs.docker.com/engine/storage/volumes),
// owners, modes and the directory's own attributes included. The image's
// files belong to subordinate ids and the container's root filesystem is
// mounted only inside skiff's mount namespace, so the copy runs there: a
// short script resolves the path as the container would (symlinks read
// relative to its root, ".." stopping at it — no link in an image can point
// the copy at a host directory) and hands the tree to `cp -a`, which keeps
// every owner because it runs as the namespace's root.

const FILL_SCRIPT = `
const fs = require("fs"), path = require("path"), cp = require("child_process");
const [root, dest, data] = process.argv.slice(1);
if (fs.readdirSync(data).length) process.exit(0);
let resolved = [], pending = dest.split("/").filter(Boolean), hops = 0;
while (pending.length) {
  const part = pending.shift();
  if (part === ".") continue;
  if (part === "..") { resolved.pop(); continue; }
  const host = path.join(root, ...resolved, part);
  let st;
  try { st = fs.lstatSync(host); } catch { process.exit(0); }
  if (st.isSymbolicLink()) {
    if (++hops > 40) process.exit(0);
    const target = fs.readlinkSync(host);
    if (target.startsWith("/")) resolved = [];
    pending.unshift(...target.split("/").filter(Boolean));
    continue;
  }
  resolved.push(part);
}
const src = path.join(root, ...resolved);
if (!fs.lstatSync(src).isDirectory()) process.exit(0);
const r = cp.spawnSync("cp", ["-a", "--", src + "/.", data + "/"], { stdio: ["ignore", "inherit", "inherit"] });
process.exit(r.status === null ? 1 : r.status);
`;

/** True when `dir` has no entries. A directory we may not read was given an owner by a container: not empty. */
export function isEmptyDir(dir: string): boolean {
  try {
    return readdirSync(dir).length === 0;
  } catch {
    return false;
  }
}

/** Copy the image's content at `destination` (under the mounted `rootfs`) into the empty volume directory `data`. */
export async function fillFromImage(exec: NamespaceExec, rootfs: string, destination: string, data: string): Promise<void> {
  if (!isEmptyDir(data)) return;
  const r = await exec([process.execPath, "-e", FILL_SCRIPT, rootfs, destination, data]);
  if (r.code !== 0) throw new SkiffError(`copying the image's content at ${destination} into its volume: ${r.stderr.trim() || `exit status ${r.code}`}`);
}
