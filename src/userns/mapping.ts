import { userInfo } from "node:os";
import { readSubid, type IdRange } from "./subid.js";

// The id mapping of skiff's user namespace (DESIGN.md §3):
//   container 0        -> the user outside
//   container 1..N     -> the user's subordinate ids, ranges laid end to end
// Without subordinate ranges we fall back to a single-id map (container 0 is
// the user; other owners in images collapse to it), as Podman does.
// Root gets its own subordinate range when it has one, else the identity map,
// so that running skiff as root still goes through a user namespace.

export interface IdMapEntry {
  inside: number;
  outside: number;
  count: number;
}

export interface IdMapping {
  uidMap: IdMapEntry[];
  gidMap: IdMapEntry[];
  /** True when no subordinate ranges exist for the user: only one id is mapped. */
  singleId: boolean;
  /** Whether the setuid helpers must apply the map (else it is written directly). */
  needsHelpers: boolean;
}

export interface MappingInput {
  uid: number;
  gid: number;
  user: string;
  subuid: IdRange[];
  subgid: IdRange[];
}

function build(own: number, ranges: IdRange[]): IdMapEntry[] {
  const map: IdMapEntry[] = [{ inside: 0, outside: own, count: 1 }];
  let next = 1;
  for (const r of ranges) {
    map.push({ inside: next, outside: r.start, count: r.count });
    next += r.count;
  }
  return map;
}

export function computeMapping(input: MappingInput): IdMapping {
  if (input.uid === 0 && (input.subuid.length === 0 || input.subgid.length === 0)) {
    const all = [{ inside: 0, outside: 0, count: 4294967295 }];
    return { uidMap: all, gidMap: all, singleId: false, needsHelpers: false };
  }
  if (input.subuid.length === 0 || input.subgid.length === 0) {
    return {
      uidMap: [{ inside: 0, outside: input.uid, count: 1 }],
      gidMap: [{ inside: 0, outside: input.gid, count: 1 }],
      singleId: true,
      needsHelpers: false,
    };
  }
  return {
    uidMap: build(input.uid, input.subuid),
    gidMap: build(input.gid, input.subgid),
    singleId: false,
    needsHelpers: input.uid !== 0,
  };
}

export function currentUser(): { uid: number; gid: number; user: string } {
  const info = userInfo();
  return { uid: info.uid, gid: info.gid, user: info.username };
}

/** The subordinate id files; SKIFF_SUBUID_FILE/SKIFF_SUBGID_FILE point elsewhere (tests, odd hosts). */
export function subidFiles(env: NodeJS.ProcessEnv = process.env): { subuid: string; subgid: string } {
  return { subuid: env.SKIFF_SUBUID_FILE || "/etc/subuid", subgid: env.SKIFF_SUBGID_FILE || "/etc/subgid" };
}

export function mappingForCurrentUser(files = subidFiles()): IdMapping {
  const me = currentUser();
  return computeMapping({
    ...me,
    subuid: readSubid(files.subuid, me.user, me.uid),
    subgid: readSubid(files.subgid, me.user, me.uid),
  });
}

export function formatMap(map: IdMapEntry[]): string {
  return map.map((e) => `${e.inside} ${e.outside} ${e.count}`).join(" ");
}

/** Map a container id to the host id it is stored as; undefined when unmapped. */
export function toHost(map: IdMapEntry[], id: number): number | undefined {
  for (const e of map) if (id >= e.inside && id < e.inside + e.count) return e.outside + (id - e.inside);
  return undefined;
}
