// Go's fmt.Sprintf, as the template function `printf` uses it, including
// Go's in-band error forms such as "%!d(string=abc)", "%!s(MISSING)" and
// "%!(EXTRA int=1)". https://pkg.go.dev/fmt#hdr-Printing

import { formatValue, quote } from "./gofmt.js";
import { formatFloat, type FloatFormat } from "./gonum.js";
import { goTimeString } from "./gotime.js";
import { kindOf, mapEntries, stringer, structFields, typeName } from "./govalue.js";

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width?: number;
  prec?: number;
  verb: string;
}

const runeCount = (s: string) => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/** Pad to the width, counting runes as Go does; zeros go after any sign. */
function pad(s: string, spec: Spec, numeric = false): string {
  const missing = (spec.width ?? 0) - runeCount(s);
  if (missing <= 0) return s;
  if (spec.minus) return s + " ".repeat(missing);
  if (spec.zero) {
    const sign = numeric && /^[+\- ]/.test(s) ? s[0] : "";
    return sign + "0".repeat(missing) + s.slice(sign.length);
  }
  return " ".repeat(missing) + s;
}

function badVerb(spec: Spec, v: unknown): string {
  if (v === null || v === undefined) return `%!${spec.verb}(<nil>)`;
  return `%!${spec.verb}(${typeName(v)}=${formatValue(v)})`;
}

function signed(body: string, negative: boolean, spec: Spec): string {
  if (negative) return "-" + body;
  if (spec.plus) return "+" + body;
  if (spec.space) return " " + body;
  return body;
}

function fmtInt(v: number | bigint, spec: Spec): string {
  const n = typeof v === "bigint" ? v : BigInt(v);
  const neg = n < 0n;
  const abs = neg ? -n : n;
  let digits: string;
  let prefix = "";
  switch (spec.verb) {
    case "v":
    case "d":
      digits = abs.toString();
      break;
    case "b":
      digits = abs.toString(2);
      if (spec.sharp) prefix = "0b";
      break;
    case "o":
    case "O":
      digits = abs.toString(8);
      if (spec.verb === "O") prefix = "0o";
      else if (spec.sharp && digits !== "0") prefix = "0";
      break;
    case "x":
    case "X":
      digits = abs.toString(16);
      if (spec.verb === "X") digits = digits.toUpperCase();
      if (spec.sharp) prefix = spec.verb === "X" ? "0X" : "0x";
      break;
    case "c":
      return pad(String.fromCodePoint(Number(n)), spec);
    case "q":
      return pad(quote(String.fromCodePoint(Number(n)), "'"), spec);
    case "U":
      return pad("U+" + abs.toString(16).toUpperCase().padStart(4, "0"), spec);
    default:
      return badVerb(spec, v);
  }
  if (spec.prec !== undefined) {
    if (spec.prec === 0 && abs === 0n) digits = "";
    digits = digits.padStart(spec.prec, "0");
    return pad(signed(prefix + digits, neg, spec), { ...spec, zero: false });
  }
  if (spec.zero && !spec.minus && spec.width !== undefined) {
    const room = spec.width - prefix.length - (neg || spec.plus || spec.space ? 1 : 0);
    digits = digits.padStart(room, "0");
  }
  return pad(signed(prefix + digits, neg, spec), { ...spec, zero: false });
}

function fmtFloat(v: number, spec: Spec): string {
  if (!"vgGeEfF".includes(spec.verb)) return badVerb(spec, v);
  const verb = spec.verb === "v" ? "g" : spec.verb;
  const prec = spec.prec ?? ("eEfF".includes(verb) ? 6 : -1);
  let s = formatFloat(v, verb as FloatFormat, prec);
  if (!Number.isFinite(v)) {
    if (s === "+Inf" && !spec.plus) s = spec.space ? " Inf" : "Inf";
    return pad(s, { ...spec, zero: false });
  }
  const neg = s.startsWith("-");
  return pad(signed(neg ? s.slice(1) : s, neg, spec), spec, true);
}

function fmtString(s: string, spec: Spec): string {
  switch (spec.verb) {
    case "v":
    case "s":
      if (spec.prec !== undefined) s = Array.from(s).slice(0, spec.prec).join("");
      return pad(s, spec);
    case "q":
      return pad(spec.sharp && !/[`\x00-\x08\x0a-\x1f\x7f]/.test(s) ? "`" + s + "`" : quote(s), spec);
    case "x":
    case "X": {
      let hex = Buffer.from(s, "utf8").toString("hex");
      if (spec.verb === "X") hex = hex.toUpperCase();
      return pad((spec.sharp ? (spec.verb === "X" ? "0X" : "0x") : "") + hex, spec);
    }
    default:
      return badVerb(spec, s);
  }
}

/** Format one operand for one verb, recursing into slices and maps as Go does. */
function fmtArg(v: unknown, spec: Spec): string {
  if (spec.verb === "T") return pad(v === null || v === undefined ? "<nil>" : typeName(v), spec);
  switch (kindOf(v)) {
    case "invalid":
    case "nil":
      return spec.verb === "v" ? pad("<nil>", spec) : badVerb(spec, v);
    case "bool":
      return spec.verb === "v" || spec.verb === "t" ? pad(String(v), spec) : badVerb(spec, v);
    case "int":
      return fmtInt(v as number | bigint, spec);
    case "float":
      return fmtFloat(v as number, spec);
    case "string":
      return fmtString(v as string, spec);
    case "slice":
      return "[" + Array.from(v as ArrayLike<unknown>, (e) => fmtArg(e, spec)).join(" ") + "]";
    case "map":
      return "map[" + mapEntries(v as object).map(([k, e]) => `${fmtArg(k, spec)}:${fmtArg(e, spec)}`).join(" ") + "]";
    case "time":
      return "vsqxX".includes(spec.verb) ? fmtString(goTimeString(v as Date), spec) : badVerb(spec, v);
    case "func":
      return pad("<func>", spec);
    case "struct": {
      const str = stringer(v as object);
      if (str && "vsqxX".includes(spec.verb)) return fmtString(str.call(v), spec);
      if (spec.verb === "v") return pad(formatValue(v, spec.plus), spec);
      return "{" + structFields(v as object).map(([, e]) => fmtArg(e, spec)).join(" ") + "}";
    }
  }
}

/** fmt.Sprintf. */
export function sprintf(format: string, args: readonly unknown[]): string {
  let out = "";
  let argi = 0;
  let i = 0;
  const n = format.length;
  const takeInt = (): number | undefined => {
    const a = args[argi++];
    return typeof a === "number" && Number.isInteger(a) ? a : undefined;
  };
  while (i < n) {
    const pct = format.indexOf("%", i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const spec: Spec = { minus: false, plus: false, sharp: false, space: false, zero: false, verb: "" };
    for (; i < n; i++) {
      const c = format[i];
      if (c === "-") {
        spec.minus = true;
        spec.zero = false;
      }
      else if (c === "+") spec.plus = true;
      else if (c === "#") spec.sharp = true;
      else if (c === " ") spec.space = true;
      else if (c === "0") spec.zero = !spec.minus;
      else break;
    }
    if (format[i] === "*") {
      i++;
      const w = takeInt();
      if (w === undefined) out += "%!(BADWIDTH)";
      else if (w < 0) Object.assign(spec, { minus: true, zero: false, width: -w });
      else spec.width = w;
    } else {
      const m = /^\d+/.exec(format.slice(i));
      if (m) {
        spec.width = Number(m[0]);
        i += m[0].length;
      }
    }
    if (format[i] === ".") {
      i++;
      if (format[i] === "*") {
        i++;
        const p = takeInt();
        if (p === undefined || p < 0) out += "%!(BADPREC)";
        else spec.prec = p;
      } else {
        const m = /^\d+/.exec(format.slice(i));
        spec.prec = m ? Number(m[0]) : 0;
        if (m) i += m[0].length;
      }
    }
    if (i >= n) {
      out += "%!(NOVERB)";
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    spec.verb = verb;
    if (verb === "%") {
      out += "%";
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += fmtArg(args[argi++], spec);
  }
  if (argi < args.length) {
    const extra = args.slice(argi).map((a) => (a === null || a === undefined ? "<nil>" : `${typeName(a)}=${formatValue(a)}`));
    out += `%!(EXTRA ${extra.join(", ")})`;
  }
  return out;
}
