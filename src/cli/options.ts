import { InvalidArgumentError } from "../errors.js";

// Option parsers shared by commands (commander's argParser callbacks).

/** Repeatable flag: -e A -e B → ["A", "B"]. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Docker's --filter key=value list → map of key → values. */
export function parseFilters(filters: string[], allowed: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of filters) {
    const eq = f.indexOf("=");
    if (eq <= 0) throw new InvalidArgumentError(`bad format of filter (expected name=value)`);
    const key = f.slice(0, eq).toLowerCase();
    if (!allowed.includes(key)) throw new InvalidArgumentError(`invalid filter '${key}'`);
    out.set(key, [...(out.get(key) ?? []), f.slice(eq + 1)]);
  }
  return out;
}

/** Shell-style glob match used by reference filters (path.Match semantics: * does not cross /). */
export function globMatch(pattern: string, s: string): boolean {
  const re = pattern.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]");
  return new RegExp(`^${re}$`).test(s);
}
