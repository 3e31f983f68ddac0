// How a JavaScript value stands in for a Go value when Docker's templates and
// printing rules are applied to it.
//
//   undefined        Go's invalid value: a missing map key, printed "<no value>"
//   null             a nil pointer/interface, printed "<nil>"
//   boolean, string  bool, string
//   number           int when integral, else float64; bigint is int
//   Array            a slice
//   Map, plain {}    a map with string keys (missing keys are not errors)
//   class instance   a struct: a missing field is an error, as in Docker's
//                    `can't evaluate field Foo in type ...`
//   Date             time.Time
//
// An object can also declare itself a struct, with the type name errors
// should show, through the `goType` symbol; and supply its own JSON text
// through `goJSON`, as a Go type implementing json.Marshaler would.

export const goType: unique symbol = Symbol.for("skiff.format.goType");
export const goJSON: unique symbol = Symbol.for("skiff.format.goJSON");

export type Kind =
  | "invalid"
  | "nil"
  | "bool"
  | "int"
  | "float"
  | "string"
  | "slice"
  | "map"
  | "struct"
  | "time"
  | "func";

export function kindOf(v: unknown): Kind {
  switch (typeof v) {
    case "undefined":
      return "invalid";
    case "boolean":
      return "bool";
    case "string":
      return "string";
    case "bigint":
      return "int";
    case "number":
      // Integral values that int64 cannot hold can only have been float64s.
      return Number.isInteger(v) && Math.abs(v as number) < 2 ** 63 ? "int" : "float";
    case "function":
      return "func";
    case "symbol":
      return "invalid";
  }
  if (v === null) return "nil";
  if (Array.isArray(v) || ArrayBuffer.isView(v)) return "slice";
  if (v instanceof Date) return "time";
  if (v instanceof Map) return "map";
  return structName(v as object) === undefined ? "map" : "struct";
}

/** The struct type name of an object, or undefined when it is map-like. */
export function structName(o: object): string | undefined {
  const declared = (o as { [goType]?: unknown })[goType];
  if (typeof declared === "string") return declared;
  const proto = Object.getPrototypeOf(o);
  if (proto === null || proto === Object.prototype) return undefined;
  return (proto.constructor as { name?: string } | undefined)?.name || "struct";
}

/** Go's name for the type of a value, for error messages (`%T`, reflect.Type). */
export function typeName(v: unknown): string {
  switch (kindOf(v)) {
    case "invalid":
      return "<invalid>";
    case "nil":
      return "<nil>";
    case "bool":
      return "bool";
    case "int":
      return "int";
    case "float":
      return "float64";
    case "string":
      return "string";
    case "slice":
      return v instanceof Uint8Array ? "[]uint8" : "[]interface {}";
    case "map":
      return v instanceof Map ? "map[interface {}]interface {}" : "map[string]interface {}";
    case "time":
      return "time.Time";
    case "func":
      return "func";
    case "struct":
      return structName(v as object)!;
  }
}

/** Entries of a map-like value, keys sorted as Go's fmt and json sort them. */
export function mapEntries(v: object): [unknown, unknown][] {
  const entries: [unknown, unknown][] =
    v instanceof Map ? [...v.entries()] : Object.keys(v).map((k) => [k, (v as Record<string, unknown>)[k]]);
  // Functions on a map-like object act as its methods, not as entries.
  return entries.filter(([, x]) => typeof x !== "function").sort(([a], [b]) => compareKeys(a, b));
}

function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** The fields of a struct-like object, in declaration (insertion) order. */
export function structFields(o: object): [string, unknown][] {
  return Object.keys(o)
    .map((k) => [k, (o as Record<string, unknown>)[k]] as [string, unknown])
    .filter(([, v]) => typeof v !== "function");
}

/** A user-defined toString, which Go's fmt would treat as a Stringer. */
export function stringer(o: object): (() => string) | undefined {
  const fn = (o as { toString?: unknown }).toString;
  if (typeof fn !== "function" || fn === Object.prototype.toString) return undefined;
  if (Array.isArray(o) || o instanceof Date || o instanceof Map) return undefined;
  return fn as () => string;
}

/** Go's `IsTrue`: the zero value of each type is false; structs are always true. */
export function isTrue(v: unknown): boolean {
  switch (kindOf(v)) {
    case "invalid":
    case "nil":
      return false;
    case "bool":
      return v as boolean;
    case "int":
    case "float":
      return typeof v === "bigint" ? v !== 0n : (v as number) !== 0;
    case "string":
      return (v as string).length > 0;
    case "slice":
      return (v as ArrayLike<unknown>).length > 0;
    case "map":
      return v instanceof Map ? v.size > 0 : Object.keys(v as object).length > 0;
    default:
      return true;
  }
}

/** Length in Go terms: strings count UTF-8 bytes. */
export function goLen(v: unknown): number | undefined {
  switch (kindOf(v)) {
    case "string":
      return Buffer.byteLength(v as string, "utf8");
    case "slice":
      return (v as ArrayLike<unknown>).length;
    case "map":
      return v instanceof Map ? v.size : Object.keys(v as object).length;
    default:
      return undefined;
  }
}
