import { readFileSync } from "node:fs";

// /etc/subuid and /etc/subgid: "name-or-uid:start:count" per line (subuid(5)).
// An entry may name the user or its numeric uid, and a user may have several
// ranges; shadow-utils' newuidmap accepts any of them.

export interface IdRange {
  start: number;
  count: number;
}

export function parseSubid(text: string, user: string, uid: number): IdRange[] {
  const ranges: IdRange[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const parts = line.split(":");
    if (parts.length !== 3) continue;
    const [who, start, count] = parts;
    if (who !== user && who !== String(uid)) continue;
    const s = Number(start);
    const c = Number(count);
    if (!Number.isSafeInteger(s) || !Number.isSafeInteger(c) || s < 0 || c <= 0) continue;
    ranges.push({ start: s, count: c });
  }
  return ranges;
}

export function readSubid(file: string, user: string, uid: number): IdRange[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  return parseSubid(text, user, uid);
}
