// Go's fmt package as Docker's templates use it: how `{{.X}}` prints a value
// (%v), `print`/`println` (Sprint/Sprintln), and strconv.Quote. Sprintf is
// in goprintf.ts. https://pkg.go.dev/fmt

import { formatFloatV } from "./gonum.js";
import { goTimeString } from "./gotime.js";
import { kindOf, mapEntries, stringer, structFields } from "./govalue.js";

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const SHORT_ESCAPES: Record<string, string> = {
  "\x07": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v", "\\": "\\\\",
};

/** strconv.Quote: a double-quoted Go string literal; printable Unicode stays as is. */
export function quote(s: string, q = '"'): string {
  let out = q;
  for (const ch of s) {
    if (ch === q) out += "\\" + q;
    else if (SHORT_ESCAPES[ch]) out += SHORT_ESCAPES[ch];
    else if (PRINTABLE.test(ch)) out += ch;
    else {
      const cp = ch.codePointAt(0)!;
      // A lone surrogate is invalid UTF-8: Go would show the replacement character.
      if (cp >= 0xd800 && cp <= 0xdfff) out += "\\ufffd";
      else if (cp < 0x20 || cp === 0x7f) out += "\\x" + cp.toString(16).padStart(2, "0");
      else if (cp < 0x10000) out += "\\u" + cp.toString(16).padStart(4, "0");
      else out += "\\U" + cp.toString(16).padStart(8, "0");
    }
  }
  return out + q;
}

function intString(v: unknown): string {
  return typeof v === "bigint" ? v.toString() : BigInt(v as number).toString();
}

/** Go's %v (or %+v with `plus`) for any value. */
export function formatValue(v: unknown, plus = false): string {
  switch (kindOf(v)) {
    case "invalid":
    case "nil":
      return "<nil>";
    case "bool":
      return String(v);
    case "int":
      return intString(v);
    case "float":
      return formatFloatV(v as number);
    case "string":
      return v as string;
    case "slice":
      return "[" + Array.from(v as ArrayLike<unknown>, (e) => formatValue(e, plus)).join(" ") + "]";
    case "map":
      return "map[" + mapEntries(v as object).map(([k, e]) => `${formatValue(k, plus)}:${formatValue(e, plus)}`).join(" ") + "]";
    case "time":
      return goTimeString(v as Date);
    case "func":
      return "<func>";
    case "struct": {
      const str = stringer(v as object);
      if (str) return str.call(v);
      const fields = structFields(v as object);
      return "{" + fields.map(([k, e]) => (plus ? `${k}:` : "") + formatValue(e, plus)).join(" ") + "}";
    }
  }
}

/** fmt.Sprint: operands are separated by a space when neither side is a string. */
export function sprint(args: readonly unknown[]): string {
  let out = "";
  let prevString = false;
  args.forEach((a, i) => {
    const isString = typeof a === "string";
    if (i > 0 && !isString && !prevString) out += " ";
    out += formatValue(a);
    prevString = isString;
  });
  return out;
}

/** fmt.Sprintln: operands always separated by a space, newline appended. */
export function sprintln(args: readonly unknown[]): string {
  return args.map((a) => formatValue(a)).join(" ") + "\n";
}
