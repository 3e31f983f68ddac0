// The wasm's tree-diff algorithm (assembly/tree-diff.ts) ported line for
// line to JavaScript: a merge over the two sorted lists, directory by
// directory, with subtree ends precomputed. The diff benchmark runs it next
// to the wasm to show what the wasm gains over the same algorithm in JS,
// not only over the plain reference.
import { comparePaths } from "../../build/js/core/entries.js";
import { entriesDiffer } from "../../build/js/core/diff-reference.js";

function subtreeEnds(entries) {
  const ends = new Int32Array(entries.length);
  const stack = [];
  for (let i = 0; i < entries.length; i++) {
    const p = entries[i].path;
    if (i > 0 && comparePaths(entries[i - 1].path, p) >= 0) throw new Error(`not in tree order at ${p}`);
    while (stack.length) {
      const t = stack[stack.length - 1];
      const q = entries[t].path;
      if (p.length > q.length && p.charCodeAt(q.length) === 0x2f && p.startsWith(q)) break;
      ends[t] = i;
      stack.pop();
    }
    stack.push(i);
  }
  for (const t of stack) ends[t] = entries.length;
  return ends;
}

/** Same output as diffTreesRaw: [kind, index] pairs (1 A, 2 C, 3 D). */
export function diffTreesMerge(older, newer, parents = true) {
  const oldEnds = subtreeEnds(older);
  const newEnds = subtreeEnds(newer);
  const out = [];
  const children = (as, ae, bs, be) => {
    let i = as, j = bs;
    while (i < ae) {
      const c = j < be ? comparePaths(older[i].path, newer[j].path) : -1;
      if (c < 0) { out.push(3, i); i = oldEnds[i]; }
      else if (c > 0) j = newEnds[j];
      else { i = oldEnds[i]; j = newEnds[j]; }
    }
    i = as; j = bs;
    while (j < be) {
      const c = i < ae ? comparePaths(older[i].path, newer[j].path) : 1;
      if (c < 0) { i = oldEnds[i]; continue; }
      const below = newEnds[j];
      if (c > 0) for (let k = j; k < below; k++) out.push(1, k);
      else {
        const a = older[i], b = newer[j];
        const innerEnd = a.type === "dir" && b.type === "dir" ? oldEnds[i] : i + 1;
        if (entriesDiffer(a, b)) { out.push(2, j); children(i + 1, innerEnd, j + 1, below); }
        else if (parents) {
          const slot = out.length;
          out.push(2, j);
          children(i + 1, innerEnd, j + 1, below);
          if (out.length === slot + 2) out.length = slot;
        } else children(i + 1, innerEnd, j + 1, below);
        i = oldEnds[i];
      }
      j = below;
    }
  };
  children(0, older.length, 0, newer.length);
  return out;
}
