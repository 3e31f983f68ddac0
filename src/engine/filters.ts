import { InvalidArgumentError } from "../errors.js";

// Docker's list filters: name → values. The CLI builds them from repeated
// `--filter key=value`; the API server from the `filters` query parameter
// (both of its JSON shapes). Verbs check the names they know.

export type Filters = Map<string, string[]>;

/** `--filter key=value` flags → Filters (Docker's opts.FilterOpt). */
export function parseFilterFlags(flags: readonly string[]): Filters {
  const out: Filters = new Map();
  for (const f of flags) {
    const eq = f.indexOf("=");
    if (eq <= 0) throw new InvalidArgumentError(`bad format of filter (expected name=value)`);
    const key = f.slice(0, eq).toLowerCase();
    out.set(key, [...(out.get(key) ?? []), f.slice(eq + 1)]);
  }
  return out;
}

/** Refuse filter names a listing does not know, in the daemon's words. */
export function checkFilters(filters: Filters, allowed: readonly string[]): Filters {
  for (const key of filters.keys()) if (!allowed.includes(key)) throw new InvalidArgumentError(`invalid filter '${key}'`);
  return filters;
}
