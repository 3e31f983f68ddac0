import { InvalidArgumentError } from "../errors.js";

// The `filters` query parameter (moby daemon/internal/filters/parse.go). It
// comes in two JSON shapes and every client sends one of them:
//   {"label":{"a=b":true}}   the Go client (docker CLI, compose v2)
//   {"label":["a=b"]}        docker-py, dockerode/testcontainers, old Go clients
// Both become one Map of key → values; handlers never see the difference.

export type Filters = Map<string, string[]>;

export function parseFilters(text: string): Filters {
  const out: Filters = new Map();
  if (text === "") return out;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new InvalidArgumentError("invalid filter");
  }
  if (raw === null) return out;
  if (typeof raw !== "object" || Array.isArray(raw)) throw new InvalidArgumentError("invalid filter");
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (value === null) {
      out.set(key, []);
    } else if (Array.isArray(value) && value.every((v) => typeof v === "string")) {
      out.set(key, [...new Set(value as string[])]);
    } else if (typeof value === "object" && !Array.isArray(value) && Object.values(value).every((v) => typeof v === "boolean")) {
      // The Go client's set: every key counts, whatever its boolean says (Args.Get).
      out.set(key, Object.keys(value));
    } else {
      throw new InvalidArgumentError("invalid filter");
    }
  }
  return out;
}

/** Refuse keys an endpoint does not know, as moby's Args.Validate does: "invalid filter 'foo'". */
export function checkFilterKeys(filters: Filters, allowed: readonly string[]): void {
  for (const key of filters.keys()) if (!allowed.includes(key)) throw new InvalidArgumentError(`invalid filter '${key}'`);
}

/**
 * `label` semantics (Args.MatchKVList): every wanted "k" must be present and
 * every wanted "k=v" must have that value. No wanted labels matches all.
 */
export function matchLabels(wanted: readonly string[] | undefined, labels: Record<string, string> | undefined): boolean {
  if (!wanted?.length) return true;
  const have = labels ?? {};
  return wanted.every((w) => {
    const eq = w.indexOf("=");
    const key = eq < 0 ? w : w.slice(0, eq);
    if (!Object.prototype.hasOwnProperty.call(have, key)) return false;
    return eq < 0 || have[key] === w.slice(eq + 1);
  });
}

/**
 * `name`-style semantics (Args.Match): a value matches when it equals the
 * source or, read as a regular expression, is found in it — which is why
 * `name=web` also matches "project_web_1". No wanted values matches all.
 */
export function matchAny(wanted: readonly string[] | undefined, source: string): boolean {
  if (!wanted?.length) return true;
  return wanted.some((w) => {
    if (w === source) return true;
    try {
      return new RegExp(w).test(source);
    } catch {
      return false;
    }
  });
}

/** Boolean filters (`dangling=true`): Docker accepts "true"/"1" and "false"/"0", and refuses both at once. */
export function boolFilter(filters: Filters, key: string): boolean | undefined {
  const values = filters.get(key);
  if (!values) return undefined;
  const isTrue = values.includes("true") || values.includes("1");
  const isFalse = values.includes("false") || values.includes("0");
  if (isTrue === isFalse) throw new InvalidArgumentError(`invalid filter '${key}=[${values.join(" ")}]'`);
  return isTrue;
}
