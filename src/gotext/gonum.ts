// Go's strconv.FormatFloat for the 'e', 'f' and 'g' formats, because Docker's
// human sizes are `fmt.Sprintf("%.3g", ...)` and users' `printf` formats
// expect Go's output, not JavaScript's:
// - %g with a precision switches to exponent form when the exponent is < -4 or
//   >= the precision, so 999.95 kB prints as "1e+03kB" in Docker, and so here;
// - rounding is on the exact binary value, halfway cases to even (1.125 with
//   %.3g is "1.12"), where Number#toPrecision rounds halves up;
// - shortest form (precision -1), as %v uses, switches at exponent 21 in
//   JavaScript but at 6 in Go: 1e6 prints "1e+06".

/** A decimal: value = 0.d1d2d3… × 10^dp; `d` has no leading or trailing zeros. */
interface Decimal {
  d: string;
  dp: number;
}

/** The exact decimal expansion of a finite, positive double. */
function exactDecimal(x: number): Decimal {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const expBits = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (expBits === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = expBits - 1075;
  }
  let digits: string;
  let dp: number;
  if (exp >= 0) {
    digits = (mant << BigInt(exp)).toString();
    dp = digits.length;
  } else {
    // mant / 2^k = mant × 5^k / 10^k
    digits = (mant * 5n ** BigInt(-exp)).toString();
    dp = digits.length + exp;
  }
  return trim({ d: digits, dp });
}

/** The shortest decimal that reads back as x (what JavaScript and Go both compute). */
function shortestDecimal(x: number): Decimal {
  const [mant, e] = x.toExponential().split("e") as [string, string];
  return trim({ d: mant.replace(".", ""), dp: Number(e) + 1 });
}

function trim(a: Decimal): Decimal {
  const d = a.d.replace(/0+$/, "");
  return d === "" ? { d: "", dp: 0 } : { d, dp: a.dp };
}

/** Keep `nd` leading digits, rounding halfway cases to even (Go's decimal.Round). */
function round(a: Decimal, nd: number): Decimal {
  if (nd < 0 || nd >= a.d.length) return a;
  const next = a.d.charCodeAt(nd) - 48;
  let up = next >= 5;
  if (next === 5 && nd + 1 === a.d.length) up = nd > 0 && (a.d.charCodeAt(nd - 1) - 48) % 2 === 1;
  if (!up) return trim({ d: a.d.slice(0, nd), dp: a.dp });
  let i = nd - 1;
  while (i >= 0 && a.d[i] === "9") i--;
  if (i < 0) return { d: "1", dp: a.dp + 1 };
  return trim({ d: a.d.slice(0, i) + String.fromCharCode(a.d.charCodeAt(i) + 1), dp: a.dp });
}

function fmtE(a: Decimal, prec: number, upper: boolean): string {
  let s = a.d === "" ? "0" : a.d[0]!;
  if (prec > 0) {
    s += ".";
    const frac = a.d.slice(1, 1 + prec);
    s += frac + "0".repeat(prec - frac.length);
  }
  const exp = a.d === "" ? 0 : a.dp - 1;
  const abs = Math.abs(exp);
  return s + (upper ? "E" : "e") + (exp < 0 ? "-" : "+") + (abs < 10 ? "0" : "") + abs;
}

function fmtF(a: Decimal, prec: number): string {
  let s: string;
  if (a.dp > 0) {
    const m = Math.min(a.d.length, a.dp);
    s = a.d.slice(0, m) + "0".repeat(a.dp - m);
  } else s = "0";
  if (prec > 0) {
    s += ".";
    for (let i = 1; i <= prec; i++) {
      const j = a.dp + i - 1;
      s += j >= 0 && j < a.d.length ? a.d[j] : "0";
    }
  }
  return s;
}

export type FloatFormat = "e" | "E" | "f" | "F" | "g" | "G";

/**
 * strconv.FormatFloat(x, fmt, prec, 64). `prec` -1 asks for the fewest digits
 * that read back exactly. Infinities print "+Inf"/"-Inf", as Go does.
 */
export function formatFloat(x: number, fmt: FloatFormat, prec: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "+Inf" : "-Inf";
  const neg = x < 0 || Object.is(x, -0);
  const abs = Math.abs(x);
  const shortest = prec < 0;
  let digs: Decimal;
  if (abs === 0) digs = { d: "", dp: 0 };
  else if (shortest) digs = shortestDecimal(abs);
  else {
    digs = exactDecimal(abs);
    if (fmt === "f" || fmt === "F") digs = round(digs, digs.dp + prec);
    else if (fmt === "e" || fmt === "E") digs = round(digs, prec + 1);
    else digs = round(digs, prec === 0 ? 1 : prec);
  }
  if (shortest) {
    if (fmt === "e" || fmt === "E") prec = Math.max(digs.d.length - 1, 0);
    else if (fmt === "f" || fmt === "F") prec = Math.max(digs.d.length - digs.dp, 0);
    else prec = digs.d.length;
  }
  let body: string;
  switch (fmt) {
    case "e":
    case "E":
      body = fmtE(digs, prec, fmt === "E");
      break;
    case "f":
    case "F":
      body = fmtF(digs, prec);
      break;
    default: {
      if (prec === 0) prec = 1;
      const nd = digs.d.length;
      let eprec = prec;
      if (eprec > nd && nd >= digs.dp) eprec = nd;
      if (shortest) eprec = 6;
      const exp = digs.dp - 1;
      if (exp < -4 || exp >= eprec) body = fmtE(digs, Math.min(prec, nd) - 1, fmt === "G");
      else body = fmtF(digs, Math.max((prec > digs.dp ? nd : prec) - digs.dp, 0));
    }
  }
  return (neg ? "-" : "") + body;
}

/** Go's `%v` for a float64. */
export function formatFloatV(x: number): string {
  return formatFloat(x, "g", -1);
}
