// The functions a template can call: Go's builtins (text/template/funcs.go)
// and the ones Docker adds (docker/cli templates/templates.go), with Go's
// argument checking and error texts. A function throws a plain Error to fail;
// the executor reports it as "error calling <name>: <message>".

import { encodeJSON } from "../gojson.js";
import { formatValue, sprint, sprintln } from "../gofmt.js";
import { sprintf } from "../goprintf.js";
import { goLen, isTrue, kindOf, mapEntries, typeName } from "../govalue.js";

/**
 * How an argument is checked before the call, as reflect would:
 * "value" passes anything (a missing value stays undefined), "any" turns a
 * missing value into nil, "string" and "int" require that type.
 */
export type ParamType = "value" | "any" | "string" | "int";

export interface TemplateFunction {
  params: readonly ParamType[];
  /** Type of the trailing variadic arguments, if any. */
  variadic?: ParamType;
  call: (...args: any[]) => unknown;
  /** `and` and `or` evaluate their arguments lazily. */
  shortCircuit?: "and" | "or";
}

export type FuncMap = Record<string, TemplateFunction>;

// --- comparison (Go 1.18+ semantics) ------------------------------------

type Basic = "bool" | "number" | "string" | "invalid" | "other";

function basic(v: unknown): Basic {
  const k = kindOf(v);
  if (k === "int" || k === "float") return "number";
  if (k === "bool" || k === "string") return k;
  if (k === "invalid" || k === "nil") return "invalid";
  return "other";
}

function eq(a: unknown, ...bs: unknown[]): boolean {
  if (bs.length === 0) throw new Error("missing argument for comparison");
  const ka = basic(a);
  for (const b of bs) {
    const kb = basic(b);
    if (ka !== kb) {
      if (ka !== "invalid" && kb !== "invalid") throw new Error("incompatible types for comparison");
      continue;
    }
    if (ka === "other") {
      for (const x of [a, b]) {
        const k = kindOf(x);
        if (k === "slice" || k === "map" || k === "func")
          throw new Error(`non-comparable type ${formatValue(x)}: ${typeName(x)}`);
      }
    }
    if (ka === "invalid" || a === b || (ka === "number" && Number(a) === Number(b))) return true;
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const ka = basic(a);
  const kb = basic(b);
  if (ka === "invalid" || ka === "other" || kb === "invalid" || kb === "other")
    throw new Error("invalid type for comparison");
  if (ka !== kb) throw new Error("incompatible types for comparison");
  if (ka === "bool") throw new Error("invalid type for comparison");
  return ka === "number" ? Number(a) < Number(b) : (a as string) < (b as string);
}

// --- index, slice, len ------------------------------------------------------

function indexArg(i: unknown, cap: number, what: string): number {
  if (i === undefined || i === null) throw new Error(`cannot index ${what} with nil`);
  if (kindOf(i) !== "int") throw new Error(`cannot index ${what} with type ${typeName(i)}`);
  const x = Number(i);
  if (x < 0 || x > cap) throw new Error(`index out of range: ${x}`);
  return x;
}

/**
 * What a missing key reads as through `index`: Go gives the map's zero value,
 * "" for Docker's map[string]string label maps; for maps of mixed values the
 * zero value is a nil interface, which prints "<no value>".
 */
function zeroOfMap(m: object): unknown {
  const values = mapEntries(m).map(([, v]) => v);
  return values.every((v) => typeof v === "string") ? "" : undefined;
}

function index(item: unknown, ...indexes: unknown[]): unknown {
  if (item === undefined || item === null) throw new Error("index of untyped nil");
  for (const i of indexes) {
    if (item === null || item === undefined) throw new Error("index of nil pointer");
    const k = kindOf(item);
    if (k === "string") {
      const bytes = Buffer.from(item as string, "utf8");
      const x = indexArg(i, bytes.length, "slice/array");
      if (x >= bytes.length) throw new Error(`index out of range: ${x}`);
      item = bytes[x];
    } else if (k === "slice") {
      const arr = item as ArrayLike<unknown>;
      const x = indexArg(i, arr.length, "slice/array");
      if (x >= arr.length) throw new Error(`index out of range: ${x}`);
      item = arr[x];
    } else if (k === "map") {
      if (item instanceof Map) item = item.has(i) ? item.get(i) : zeroOfMap(item);
      else {
        if (typeof i !== "string") throw new Error(`value has type ${typeName(i)}; should be string`);
        item = Object.hasOwn(item as object, i) ? (item as Record<string, unknown>)[i] : zeroOfMap(item as object);
      }
    } else throw new Error(`can't index item of type ${typeName(item)}`);
  }
  return item;
}

function slice(item: unknown, ...indexes: unknown[]): unknown {
  if (item === undefined || item === null) throw new Error("slice of untyped nil");
  if (indexes.length > 3) throw new Error(`too many slice indexes: ${indexes.length}`);
  const k = kindOf(item);
  let len: number;
  if (k === "string") {
    if (indexes.length === 3) throw new Error("cannot 3-index slice a string");
    len = Buffer.byteLength(item as string, "utf8");
  } else if (k === "slice") len = (item as ArrayLike<unknown>).length;
  else throw new Error(`can't slice item of type ${typeName(item)}`);
  const idx = [0, len];
  indexes.forEach((i, n) => (idx[n] = indexArg(i, len, "slice/array")));
  if (idx[0]! > idx[1]!) throw new Error(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (indexes.length === 3 && idx[1]! > idx[2]!) throw new Error(`invalid slice index: ${idx[1]} > ${idx[2]}`);
  if (k === "string") return Buffer.from(item as string, "utf8").subarray(idx[0], idx[1]).toString("utf8");
  return Array.prototype.slice.call(item, idx[0], idx[1]);
}

function len(v: unknown): number {
  if (v === undefined || v === null) throw new Error("len of nil pointer");
  const n = goLen(v);
  if (n === undefined) throw new Error(`len of type ${typeName(v)}`);
  return n;
}

// --- Docker's additions -----------------------------------------------------

/** strings.Title: upper-case the first letter of each word. */
function title(s: string): string {
  let prev = " ";
  let out = "";
  for (const ch of s) {
    const sep =
      prev <= "\x7f" ? !/[A-Za-z0-9_]/.test(prev) : !/[\p{L}\p{N}]/u.test(prev) && /\s/u.test(prev);
    out += sep ? ch.toUpperCase() : ch;
    prev = ch;
  }
  return out;
}

/** strings.Split: an empty separator splits into characters. */
function split(s: string, sep: string): string[] {
  return sep === "" ? Array.from(s) : s.split(sep);
}

/** Docker's joinElements: slices by element, maps by sorted values. */
function join(elems: unknown, sep: string): string {
  if (elems === null || elems === undefined) return "";
  const k = kindOf(elems);
  if (k === "slice") return Array.from(elems as ArrayLike<unknown>, (e) => sprint([e])).join(sep);
  if (k === "map")
    return mapEntries(elems as object)
      .map(([, v]) => sprint([v]))
      .sort()
      .join(sep);
  throw new Error(`expected slice, got ${typeName(elems)}`);
}

function pad(s: string, prefix: number, suffix: number): string {
  if (s === "") return s;
  if (prefix < 0 || suffix < 0) throw new Error("strings: negative Repeat count");
  return " ".repeat(prefix) + s + " ".repeat(suffix);
}

/** Docker's truncate cuts bytes, not characters. */
function truncate(s: string, n: number): string {
  const bytes = Buffer.from(s, "utf8");
  if (bytes.length < n) return s;
  if (n < 0) throw new Error(`runtime error: slice bounds out of range [:${n}]`);
  return bytes.subarray(0, n).toString("utf8");
}

const fn = (params: ParamType[], call: TemplateFunction["call"], variadic?: ParamType): TemplateFunction => ({
  params,
  call,
  variadic,
});

export const BUILTINS: FuncMap = {
  and: { params: ["value"], variadic: "value", call: () => undefined, shortCircuit: "and" },
  or: { params: ["value"], variadic: "value", call: () => undefined, shortCircuit: "or" },
  not: fn(["value"], (v) => !isTrue(v)),
  len: fn(["value"], len),
  index: fn(["value"], index, "value"),
  slice: fn(["value"], slice, "value"),
  print: fn([], (...a) => sprint(a), "any"),
  printf: fn(["string"], (f, ...a) => sprintf(f, a), "any"),
  println: fn([], (...a) => sprintln(a), "any"),
  eq: fn(["value"], eq, "value"),
  ne: fn(["value", "value"], (a, b) => !eq(a, b)),
  lt: fn(["value", "value"], lt),
  le: fn(["value", "value"], (a, b) => lt(a, b) || eq(a, b)),
  gt: fn(["value", "value"], (a, b) => !lt(a, b) && !eq(a, b)),
  ge: fn(["value", "value"], (a, b) => !lt(a, b)),
};

export const DOCKER_FUNCS: FuncMap = {
  json: fn(["any"], (v) => encodeJSON(v, { escapeHTML: false })),
  split: fn(["string", "string"], split),
  join: fn(["any", "string"], join),
  title: fn(["string"], title),
  lower: fn(["string"], (s: string) => s.toLowerCase()),
  upper: fn(["string"], (s: string) => s.toUpperCase()),
  pad: fn(["string", "int", "int"], pad),
  truncate: fn(["string", "int"], truncate),
};

/**
 * Docker's header functions: a table's header row runs the same template on
 * the column names, with these replacing the ones that would change a name.
 */
const same = (v: unknown) => v;
export const HEADER_FUNCS: FuncMap = {
  json: fn(["string"], same),
  split: fn(["string", "string"], same),
  join: fn(["string", "string"], same),
  title: fn(["string"], same),
  lower: fn(["string"], same),
  upper: fn(["string"], same),
  truncate: fn(["string", "int"], same),
};
