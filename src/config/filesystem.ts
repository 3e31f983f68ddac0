import { statfsSync, existsSync } from "node:fs";
import { dirname } from "node:path";

// statfs(2) magic numbers of filesystems skiff cares about. NFS cannot hold
// files owned by subordinate ids (the server sees the client's uid mapping
// as foreign), so a storage root there must be moved (DESIGN.md §6).
const MAGIC: Record<number, string> = {
  0xef53: "ext4",
  0x58465342: "xfs",
  0x9123683e: "btrfs",
  0x01021994: "tmpfs",
  0x6969: "nfs",
  0xff534d42: "cifs",
  0x794c7630: "overlay",
  0x2fc12fc1: "zfs",
  0x65735546: "fuse",
  0x6165676c: "pstorefs",
  0x47504653: "gpfs",
  0x0bd00bd0: "lustre",
  0x19830326: "beegfs",
};

const NETWORK_FS = new Set(["nfs", "cifs", "gpfs", "lustre", "beegfs"]);

/** Filesystem type of the nearest existing ancestor of `path`. */
export function filesystemType(path: string): string {
  let p = path;
  while (!existsSync(p) && p !== dirname(p)) p = dirname(p);
  try {
    const t = Number(statfsSync(p).type);
    return MAGIC[t] ?? `0x${t.toString(16)}`;
  } catch {
    return "unknown";
  }
}

export function isNetworkFilesystem(type: string): boolean {
  return NETWORK_FS.has(type);
}
