// Go's strconv.Unquote for "…" strings and '…' character constants.
// https://go.dev/ref/spec#Rune_literals

const SIMPLE: Record<string, string> = {
  a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\\": "\\",
};

/** Decode escapes in `body`; `q` is the quote that may be escaped. Undefined if malformed. */
function decode(body: string, q: string): string | undefined {
  let out = "";
  for (let i = 0; i < body.length; ) {
    const c = body[i]!;
    if (c === q || c === "\n") return undefined;
    if (c !== "\\") {
      out += c;
      i++;
      continue;
    }
    const e = body[i + 1];
    if (e === undefined) return undefined;
    if (SIMPLE[e] !== undefined) {
      out += SIMPLE[e];
      i += 2;
    } else if (e === q) {
      out += q;
      i += 2;
    } else if (e === "x" || e === "u" || e === "U") {
      const n = e === "x" ? 2 : e === "u" ? 4 : 8;
      const hex = body.slice(i + 2, i + 2 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) return undefined;
      const cp = parseInt(hex, 16);
      if (cp > 0x10ffff || (e !== "x" && cp >= 0xd800 && cp <= 0xdfff)) return undefined;
      out += String.fromCodePoint(cp);
      i += 2 + n;
    } else if (e >= "0" && e <= "7") {
      const oct = body.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(oct) || parseInt(oct, 8) > 255) return undefined;
      out += String.fromCharCode(parseInt(oct, 8));
      i += 4;
    } else return undefined;
  }
  return out;
}

export function unquoteString(quoted: string): string | undefined {
  if (quoted.length < 2 || !quoted.startsWith('"') || !quoted.endsWith('"')) return undefined;
  return decode(quoted.slice(1, -1), '"');
}

/** The code point of a character constant such as 'a' or '\n'. */
export function unquoteChar(quoted: string): number | undefined {
  if (quoted.length < 3 || !quoted.startsWith("'") || !quoted.endsWith("'")) return undefined;
  const s = decode(quoted.slice(1, -1), "'");
  if (s === undefined) return undefined;
  const chars = Array.from(s);
  return chars.length === 1 ? chars[0]!.codePointAt(0) : undefined;
}
