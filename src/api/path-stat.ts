import { constants } from "node:fs";

// X-Docker-Container-Path-Stat, the header of HEAD/GET /containers/{id}/archive
// (moby daemon/server/router/container/copy.go): base64 (standard alphabet)
// of JSON {name, size, mode, mtime, linkTarget}. `mode` is a Go os.FileMode,
// not st_mode: the type lives in high bits (directory 1<<31, symlink 1<<27…)
// and the docker CLI calls IsDir() on it to decide how `docker cp` copies.

const GO_MODE = {
  dir: 2 ** 31,
  symlink: 2 ** 27,
  device: 2 ** 26,
  namedPipe: 2 ** 25,
  socket: 2 ** 24,
  setuid: 2 ** 23,
  setgid: 2 ** 22,
  charDevice: 2 ** 21,
  sticky: 2 ** 20,
} as const;

/** A Go os.FileMode from a Unix st_mode (Go's fillFileStatFromSys). */
export function goFileMode(stMode: number): number {
  let mode = stMode & 0o777;
  switch (stMode & constants.S_IFMT) {
    case constants.S_IFDIR:
      mode += GO_MODE.dir;
      break;
    case constants.S_IFLNK:
      mode += GO_MODE.symlink;
      break;
    case constants.S_IFBLK:
      mode += GO_MODE.device;
      break;
    case constants.S_IFCHR:
      mode += GO_MODE.device + GO_MODE.charDevice;
      break;
    case constants.S_IFIFO:
      mode += GO_MODE.namedPipe;
      break;
    case constants.S_IFSOCK:
      mode += GO_MODE.socket;
      break;
  }
  if (stMode & 0o4000) mode += GO_MODE.setuid;
  if (stMode & 0o2000) mode += GO_MODE.setgid;
  if (stMode & 0o1000) mode += GO_MODE.sticky;
  return mode;
}

/** Go's time.Time JSON (RFC 3339 with nanoseconds, trailing zeros dropped), in UTC. */
export function goTimeJson(ns: bigint): string {
  const secs = ns / 1_000_000_000n;
  const frac = ns % 1_000_000_000n;
  const base = new Date(Number(secs) * 1000).toISOString().replace(/\.\d{3}Z$/, "");
  const fraction = frac === 0n ? "" : `.${frac.toString().padStart(9, "0").replace(/0+$/, "")}`;
  return `${base}${fraction}Z`;
}

export interface PathStat {
  /** The base name of the path asked for. */
  name: string;
  size: number;
  /** st_mode as lstat/stat gives it. */
  mode: number;
  /** Modification time in nanoseconds since the epoch (stat with { bigint: true } gives mtimeNs). */
  mtimeNs: bigint;
  /** Where a symlink points ("" otherwise). */
  linkTarget: string;
}

/** The header value for a stat. */
export function encodePathStat(stat: PathStat): string {
  const json = JSON.stringify({ name: stat.name, size: stat.size, mode: goFileMode(stat.mode), mtime: goTimeJson(stat.mtimeNs), linkTarget: stat.linkTarget });
  return Buffer.from(json).toString("base64");
}

/** The header decoded (what a client reads). */
export function decodePathStat(header: string): { name: string; size: number; mode: number; mtime: string; linkTarget: string } {
  return JSON.parse(Buffer.from(header, "base64").toString("utf8")) as { name: string; size: number; mode: number; mtime: string; linkTarget: string };
}

/** Go's FileMode.IsDir(), as the docker CLI tests it. */
export function isGoDir(mode: number): boolean {
  return mode >= GO_MODE.dir;
}
