import { describe, expect, test } from "vitest";
import { formatValue, quote, sprint, sprintln } from "../../../src/gotext/gofmt.js";
import { sprintf } from "../../../src/gotext/goprintf.js";
import { encodeJSON } from "../../../src/gotext/gojson.js";
import { formatFloat } from "../../../src/gotext/gonum.js";
import { goJSON } from "../../../src/gotext/govalue.js";

describe("formatFloat (strconv.FormatFloat)", () => {
  test.each([
    // %g with a precision: exponent form from the precision on, trailing zeros dropped
    [4.1, "g", 3, "4.1"],
    [1.2345, "g", 3, "1.23"],
    [123, "g", 3, "123"],
    [120, "g", 3, "120"],
    [999.95, "g", 3, "1e+03"],
    [1000, "g", 3, "1e+03"],
    [0, "g", 3, "0"],
    [0.0001234, "g", 3, "0.000123"],
    [0.00001234, "g", 3, "1.23e-05"],
    // halfway cases round to even on the exact binary value
    [1.125, "g", 3, "1.12"],
    [1.375, "g", 3, "1.38"],
    [2.5, "f", 0, "2"],
    [3.5, "f", 0, "4"],
    [0.5, "f", 0, "0"],
    [1.005, "f", 2, "1.00"], // 1.005 is 1.00499999… in binary
    // %e, %f
    [123456, "e", 2, "1.23e+05"],
    [1e-7, "e", 1, "1.0e-07"],
    [1e100, "e", 0, "1e+100"],
    [3.14159, "f", 2, "3.14"],
    [0.06, "f", 1, "0.1"],
    [0.001, "f", 1, "0.0"],
    [-1.5, "f", 3, "-1.500"],
    [12345.678, "f", 0, "12346"],
    // shortest (%v): exponent from 1e21 in JavaScript, from 1e6 in Go
    [0.1, "g", -1, "0.1"],
    [123456, "g", -1, "123456"],
    [1e6, "g", -1, "1e+06"],
    [1234567.5, "g", -1, "1.2345675e+06"],
    [0.0001, "g", -1, "0.0001"],
    [0.00001, "g", -1, "1e-05"],
    [1.5e300, "g", -1, "1.5e+300"],
    [-0, "g", -1, "-0"],
    [Infinity, "g", -1, "+Inf"],
    [-Infinity, "f", 2, "-Inf"],
    [NaN, "g", 3, "NaN"],
  ] as const)("%s %s %s → %s", (x, fmt, prec, out) => {
    expect(formatFloat(x, fmt, prec)).toBe(out);
  });
});

describe("sprintf", () => {
  test.each([
    ["%s|%d|%v", ["a", 42, true], "a|42|true"],
    ["%-10s|", ["hi"], "hi        |"],
    ["%10s|", ["hi"], "        hi|"],
    ["%-5s|", ["日本"], "日本   |"],
    ["%.2s", ["héllo"], "hé"],
    ["%5d|%-5d|%05d|%+d|% d", [42, 42, -42, 42, 42], "   42|42   |-0042|+42| 42"],
    ["%x %X %#x %o %b %c %U", [255, 255, 255, 8, 5, 65, 0x1f600], "ff FF 0xff 10 101 A U+1F600"],
    ["%q %q", ["a\"b\n", 97], "\"a\\\"b\\n\" 'a'"],
    ["%x", ["hi"], "6869"],
    ["%.2f %e %g %v %6.1f", [3.14159, 1234.5678, 0.000012345, 2.5, 3.14159], "3.14 1.234568e+03 1.2345e-05 2.5    3.1"],
    ["%v %v %v", [[1, "a"], { b: 2, a: 1 }, null], "[1 a] map[a:1 b:2] <nil>"],
    ["%d", [[1, 2]], "[1 2]"],
    ["%s", [[["a", "b"]]], "[[a b]]"],
    ["%T %T %T %T %T", ["s", 1, 1.5, [1], {}], "string int float64 []interface {} map[string]interface {}"],
    ["100%%", [], "100%"],
    // Go's in-band errors
    ["%d", ["abc"], "%!d(string=abc)"],
    ["%s", [5], "%!s(int=5)"],
    ["%f", [1], "%!f(int=1)"],
    ["%t", ["x"], "%!t(string=x)"],
    ["%s", [null], "%!s(<nil>)"],
    ["%s %s", ["a"], "a %!s(MISSING)"],
    ["%s", ["a", 1, "b"], "a%!(EXTRA int=1, string=b)"],
    ["%", [], "%!(NOVERB)"],
    ["%z", [1], "%!z(int=1)"],
    ["%*d|%-*d|%.*f", [5, 1, 3, 2, 1, 3.14159], "    1|2  |3.1"],
  ] as [string, unknown[], string][])("%s", (format, args, out) => {
    expect(sprintf(format, args)).toBe(out);
  });
});

describe("print", () => {
  test("Sprint spaces operands only between two non-strings", () => {
    expect(sprint([1, 2, "a", 3, "b", "c"])).toBe("1 2a3bc");
    expect(sprint(["a", "b"])).toBe("ab");
  });
  test("Sprintln always spaces and ends the line", () => {
    expect(sprintln(["a", "b", 1])).toBe("a b 1\n");
  });
  test("%v of values", () => {
    expect(formatValue({ z: [1, { y: null }], a: true })).toBe("map[a:true z:[1 map[y:<nil>]]]");
    expect(formatValue(new Map([[2, "b"], [1, "a"]]))).toBe("map[1:a 2:b]");
    class Point {
      constructor(public X: number, public Y: number) {}
    }
    expect(formatValue(new Point(1, 2))).toBe("{1 2}");
    expect(formatValue(new Point(1, 2), true)).toBe("{X:1 Y:2}");
    class Named {
      toString() {
        return "named!";
      }
    }
    expect(formatValue(new Named())).toBe("named!");
    expect(formatValue(12345678901234)).toBe("12345678901234");
    expect(formatValue(1e21)).toBe("1e+21");
  });
});

describe("quote (strconv.Quote)", () => {
  test.each([
    ["plain", '"plain"'],
    ['say "hi"\\', '"say \\"hi\\"\\\\"'],
    ["tab\tnl\ncr\rbell\x07", '"tab\\tnl\\ncr\\rbell\\a"'],
    ["\x00\x1b\x7f", '"\\x00\\x1b\\x7f"'],
    ["héllo 日本 🐳", '"héllo 日本 🐳"'],
    ["\u00a0\u200b\u2028", '"\\u00a0\\u200b\\u2028"'],
    ["sh -c 'echo hello;…", "\"sh -c 'echo hello;…\""],
  ])("%j", (s, out) => {
    expect(quote(s)).toBe(out);
  });
});

describe("encodeJSON (encoding/json)", () => {
  test("strings escape like Go", () => {
    expect(encodeJSON("a\"b\\c\n\t\b\f\r\x01\u2028\u2029")).toBe('"a\\"b\\\\c\\n\\t\\b\\f\\r\\u0001\\u2028\\u2029"');
    expect(encodeJSON("<a&b>")).toBe('"<a&b>"');
    expect(encodeJSON("<a&b>", { escapeHTML: true })).toBe('"\\u003ca\\u0026b\\u003e"');
    expect(encodeJSON("日本🐳")).toBe('"日本🐳"');
    expect(encodeJSON("bad \ud800 surrogate")).toBe('"bad \\ufffd surrogate"');
  });

  test("values", () => {
    expect(encodeJSON({ b: 1, a: [1.5, null, true], c: undefined, f: () => 1 })).toBe('{"b":1,"a":[1.5,null,true]}');
    expect(encodeJSON({ b: 1, a: { d: 1, c: 2 } }, { sortKeys: true })).toBe('{"a":{"c":2,"d":1},"b":1}');
    expect(encodeJSON(new Map([["z", 1], ["a", 2]]))).toBe('{"a":2,"z":1}');
    expect(encodeJSON(1e21)).toBe("1e+21");
    expect(encodeJSON(1e-7)).toBe("1e-7");
    expect(encodeJSON(123456789)).toBe("123456789");
    expect(encodeJSON(new Date(Date.UTC(2024, 0, 2, 3, 4, 5)))).toBe('"2024-01-02T03:04:05Z"');
    expect(encodeJSON(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 120)))).toBe('"2024-01-02T03:04:05.12Z"');
    expect(encodeJSON(new Uint8Array([104, 105]))).toBe('"aGk="');
    expect(encodeJSON(undefined)).toBe("null");
    expect(encodeJSON({ [goJSON]: () => '{"raw":true}' })).toBe('{"raw":true}');
    expect(() => encodeJSON(NaN)).toThrow("json: unsupported value: NaN");
  });
});
