// The whiteout rules of src/core/whiteout.ts stated plainly in TypeScript:
// the specification the wasm is tested against. Same inputs, same output,
// different method: sets, maps and ancestor walks, then sorts.
import { type PathEntry, type UpperEntry, comparePaths, opaqueMarkerPath, whiteoutPath } from "./entries.js";
import { ENTRY_RANK, OPAQUE_RANK, WHITEOUT_RANK, ancestors, compareTarKeys, nameOf, parentOf, tarKey } from "./tar-order.js";
import type { ExistingFate, LayerApplication, LayerMember, LayerRole, UpperClass, UpperLayer } from "./whiteout.js";

const OPAQUE_MARKER = ".wh..wh..opq";
/** fuse-overlayfs's char device beside an opaque marker (see assembly/whiteout-upper.ts). */
const OPAQUE_BOOKKEEPING = ".wh..opq";
const isDeviceWhiteout = (e: UpperEntry) => e.type === "char" && (e.rdevMajor ?? 0) === 0 && (e.rdevMinor ?? 0) === 0;

export function classifyUpperReference<T extends UpperEntry>(entries: readonly T[]): UpperLayer<T> {
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const markedOpaque = new Set(entries.filter((e) => nameOf(e.path) === OPAQUE_MARKER).map((e) => parentOf(e.path)));
  const opaque = (dir: string) => markedOpaque.has(dir) || (dir !== "" && !!byPath.get(dir)?.opaque);
  // Nothing below a whiteout (or below a marker) is content.
  const hidden = (p: string) => {
    for (const q of ancestors(p)) {
      const e = byPath.get(q);
      if (e && (nameOf(q).startsWith(".wh.") || isDeviceWhiteout(e))) return true;
    }
    return false;
  };
  const classes: UpperClass[] = [];
  const keyed: { member: LayerMember<T>; key: ReturnType<typeof tarKey> }[] = [];
  if (markedOpaque.has("")) keyed.push({ member: { path: OPAQUE_MARKER, entry: null }, key: tarKey("", OPAQUE_RANK) });
  for (const e of entries) {
    const name = nameOf(e.path);
    const dir = parentOf(e.path);
    let c: UpperClass;
    if (hidden(e.path) || name === OPAQUE_MARKER || name === OPAQUE_BOOKKEEPING) c = "skip";
    else if (name.startsWith(".wh.") || isDeviceWhiteout(e)) {
      c = opaque(dir) ? "skip" : "whiteout";
      const path = name.startsWith(".wh.") ? e.path : whiteoutPath(e.path);
      if (c === "whiteout") keyed.push({ member: { path, entry: null }, key: tarKey(e.path, WHITEOUT_RANK) });
    } else {
      c = opaque(e.path) ? "opaque" : "keep";
      keyed.push({ member: { path: e.path, entry: e }, key: tarKey(e.path, ENTRY_RANK) });
      if (c === "opaque") keyed.push({ member: { path: opaqueMarkerPath(e.path), entry: null }, key: tarKey(e.path, OPAQUE_RANK) });
    }
    classes.push(c);
  }
  keyed.sort((x, y) => compareTarKeys(x.key, y.key));
  return { classes, members: keyed.map((k) => k.member) };
}

export function applyLayerReference(existing: readonly PathEntry[], layer: readonly PathEntry[]): LayerApplication {
  const whiteouts = new Set<string>();
  const opaqueDirs = new Set<string>();
  const written = new Map<string, number>();
  const roles: LayerRole[] = layer.map((e, j) => {
    const name = nameOf(e.path);
    const dir = parentOf(e.path);
    if (name.startsWith(".wh..wh.")) {
      if (name !== OPAQUE_MARKER) return "ignored";
      opaqueDirs.add(dir);
      return "opaque";
    }
    if (name.startsWith(".wh.")) {
      const target = name.slice(4);
      if (target === "" || target === "." || target === "..") return "ignored";
      whiteouts.add(dir === "" ? target : `${dir}/${target}`);
      return "whiteout";
    }
    written.set(e.path, j);
    return "write";
  });
  layer.forEach((e, j) => {
    if (roles[j] === "write" && written.get(e.path) !== j) roles[j] = "superseded";
  });
  const existingByPath = new Map(existing.map((e, i) => [e.path, i]));
  const replaced = (q: string) => {
    const i = existingByPath.get(q), j = written.get(q);
    return i !== undefined && j !== undefined && !(existing[i].type === "dir" && layer[j].type === "dir");
  };
  const deleted = existing.map((e) => {
    if (whiteouts.has(e.path) || replaced(e.path) || opaqueDirs.has("")) return true;
    for (const q of ancestors(e.path)) if (whiteouts.has(q) || opaqueDirs.has(q) || replaced(q)) return true;
    return false;
  });
  const fates: ExistingFate[] = existing.map((e, i) => {
    if (!deleted[i]) return "keep";
    for (const q of ancestors(e.path)) {
      const k = existingByPath.get(q);
      if (k !== undefined) return deleted[k] ? "below" : "delete";
    }
    return "delete";
  });
  const visiblePaths: { path: string; ref: number }[] = [];
  existing.forEach((e, i) => { if (!deleted[i] && !written.has(e.path)) visiblePaths.push({ path: e.path, ref: i }); });
  for (const [path, j] of written) visiblePaths.push({ path, ref: ~j });
  visiblePaths.sort((x, y) => comparePaths(x.path, y.path));
  return {
    existing: fates,
    deleteRoots: fates.flatMap((f, i) => (f === "delete" ? [i] : [])),
    layer: roles,
    write: roles.flatMap((r, j) => (r === "write" ? [j] : [])),
    visible: Int32Array.from(visiblePaths, (v) => v.ref),
  };
}
