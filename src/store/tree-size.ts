import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** Bytes of the files under `dir` that we can see from here (system df, prune, ps --size, volume sizes). */
export function treeSize(dir: string): number {
  let total = 0;
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      try {
        const st = lstatSync(join(d, n));
        if (st.isDirectory()) walk(join(d, n));
        else total += st.size;
      } catch {
        /* vanished */
      }
    }
  };
  walk(dir);
  return total;
}
