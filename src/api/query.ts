import { InvalidArgumentError } from "../errors.js";
import { parseFilters } from "./filters.js";

// Query parameters read the way moby reads them (daemon/server/httputils/form.go),
// so that clients' habits keep working: docker-py sends booleans as "1"/"0"
// or "True", dockerode as "true", the Go client as "1"; any value but "",
// "0", "no", "false" and "none" (any case) is true. Integers are Go's
// strconv.ParseInt, with its words when they are not.

export class Query {
  constructor(readonly params: URLSearchParams) {}

  static parse(rawQuery: string): Query {
    return new Query(new URLSearchParams(rawQuery));
  }

  has(key: string): boolean {
    return this.params.has(key);
  }

  /** The first value, or undefined when absent. */
  string(key: string): string | undefined {
    return this.params.get(key) ?? undefined;
  }

  /** Every value of a repeated key (`t=a&t=b`). */
  strings(key: string): string[] {
    return this.params.getAll(key);
  }

  /** moby's BoolValue, or `fallback` when the key is absent (BoolValueOrDefault). */
  bool(key: string, fallback = false): boolean {
    const v = this.params.get(key);
    if (v === null) return fallback;
    return !["", "0", "no", "false", "none"].includes(v.trim().toLowerCase());
  }

  /** An integer, `fallback` when absent or empty; 400 with strconv's words when malformed. */
  int(key: string, fallback?: number): number | undefined {
    const v = this.params.get(key);
    if (v === null || v === "") return fallback;
    if (!/^[+-]?\d+$/.test(v)) throw new InvalidArgumentError(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`strconv.ParseInt: parsing ${JSON.stringify(v)}: value out of range`);
    return n;
  }

  /** A JSON-valued parameter (build's `buildargs`, `labels`); undefined when absent or empty. */
  json<T = unknown>(key: string): T | undefined {
    const v = this.params.get(key);
    if (v === null || v === "") return undefined;
    try {
      return JSON.parse(v) as T;
    } catch (e) {
      throw new InvalidArgumentError(`invalid ${key}: invalid JSON: ${(e as Error).message}`);
    }
  }

  /** The `filters` parameter in either of Docker's JSON shapes, as key → values. */
  filters(key = "filters"): Map<string, string[]> {
    return parseFilters(this.params.get(key) ?? "");
  }
}
