// Go's encoding/json output, which is what `{{json .}}` and `--format json`
// print in Docker. It differs from JSON.stringify in small, visible ways:
// - U+2028 and U+2029 are always escaped; control characters use \u00XX
//   except \b \f \n \r \t; invalid UTF-16 becomes \ufffd;
// - with HTML escaping on (json.Marshal's default), < > & become \u003c,
//   \u003e, \u0026. Docker's `json` template function turns it off
//   (templates/templates.go), but list rows are marshalled through
//   json.Marshal first, so `docker ps --format json` shows "0.0.0.0:80-\u003e80/tcp";
// - Go maps are written with sorted keys; structs in field order;
// - time.Time is RFC 3339 with only the fraction it needs; []byte is base64.
// https://pkg.go.dev/encoding/json#Marshal

import { goTimeRFC3339 } from "./gotime.js";
import { goJSON, kindOf, mapEntries } from "./govalue.js";

export interface JSONOptions {
  /** Escape <, > and & as json.Marshal does. */
  escapeHTML?: boolean;
  /** Sort the keys of plain objects, as for a Go map. */
  sortKeys?: boolean;
}

export function encodeString(s: string, escapeHTML = false): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | undefined;
    if (c < 0x20) {
      esc =
        c === 0x08 ? "\\b" : c === 0x0c ? "\\f" : c === 0x0a ? "\\n" : c === 0x0d ? "\\r" : c === 0x09 ? "\\t"
        : "\\u00" + c.toString(16).padStart(2, "0");
    } else if (c === 0x22) esc = '\\"';
    else if (c === 0x5c) esc = "\\\\";
    else if (escapeHTML && (c === 0x3c || c === 0x3e || c === 0x26)) esc = "\\u00" + c.toString(16);
    else if (c === 0x2028 || c === 0x2029) esc = "\\u" + c.toString(16);
    else if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      esc = "\\ufffd";
    }
    if (esc !== undefined) {
      out += s.slice(start, i) + esc;
      start = i + 1;
    }
  }
  return out + s.slice(start) + '"';
}

/** Encode a value as Go's encoding/json would, compactly. */
export function encodeJSON(v: unknown, opts: JSONOptions = {}): string {
  const html = opts.escapeHTML ?? false;
  const enc = (x: unknown): string => {
    if (x !== null && typeof x === "object") {
      const raw = (x as { [goJSON]?: unknown })[goJSON];
      if (typeof raw === "function") return raw.call(x) as string;
    }
    switch (kindOf(x)) {
      case "invalid":
      case "nil":
      case "func":
        return "null";
      case "bool":
        return String(x);
      case "int":
        return typeof x === "bigint" ? x.toString() : BigInt(x as number).toString();
      case "float": {
        const n = x as number;
        if (!Number.isFinite(n)) throw new Error(`json: unsupported value: ${n > 0 ? "+Inf" : n < 0 ? "-Inf" : "NaN"}`);
        // JSON.stringify and Go agree: exponent form below 1e-6 and from 1e21.
        return JSON.stringify(n);
      }
      case "string":
        return encodeString(x as string, html);
      case "time":
        return encodeString(goTimeRFC3339(x as Date), html);
      case "slice":
        if (x instanceof Uint8Array) return '"' + Buffer.from(x).toString("base64") + '"';
        return "[" + Array.from(x as ArrayLike<unknown>, enc).join(",") + "]";
      case "map":
      case "struct": {
        const toJSON = (x as { toJSON?: unknown }).toJSON;
        if (typeof toJSON === "function") return enc(toJSON.call(x));
        const entries =
          x instanceof Map || opts.sortKeys
            ? mapEntries(x as object)
            : Object.keys(x as object).map((k) => [k, (x as Record<string, unknown>)[k]] as [unknown, unknown]);
        const parts: string[] = [];
        for (const [k, e] of entries) {
          if (e === undefined || typeof e === "function") continue;
          parts.push(encodeString(String(k), html) + ":" + enc(e));
        }
        return "{" + parts.join(",") + "}";
      }
    }
  };
  return enc(v);
}
