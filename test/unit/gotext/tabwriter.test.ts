import { describe, expect, test } from "vitest";
import { renderTable, tabwrite } from "../../../src/gotext/tabwriter.js";

// Cases from Go's text/tabwriter tests (left-aligned, no flags), which
// Docker's copy of the package shares: [name, minwidth, padding, padchar, input, output].
const GO_CASES: [string, number, number, string, string, string][] = [
  ["empty", 8, 1, ".", "", ""],
  ["newlines only", 8, 1, ".", "\n\n\n", "\n\n\n"],
  ["no tabs", 8, 1, ".", "a\nb\nc", "a\nb\nc"],
  ["lone tab on the last line", 8, 1, ".", "\t", ""],
  ["two cells", 8, 1, ".", "*\t*", "*.......*"],
  ["two cells and newline", 8, 1, ".", "*\t*\n", "*.......*\n"],
  ["trailing tab on the last line", 8, 1, ".", "*\t*\t", "*.......*"],
  ["empty cell", 8, 1, ".", "\t\n", "........\n"],
  ["7a", 8, 1, ".", "a) foo", "a) foo"],
  ["7b", 8, 1, " ", "b) foo\tbar", "b) foo  bar"],
  ["7c", 8, 1, ".", "c) foo\tbar\t", "c) foo..bar"],
  ["7d", 8, 1, ".", "d) foo\tbar\n", "d) foo..bar\n"],
  ["7e", 8, 1, ".", "e) foo\tbar\t\n", "e) foo..bar.....\n"],
  ["8", 8, 1, "*", "Hello, world!\n", "Hello, world!\n"],
  ["9a", 1, 0, ".", "1\t2\t3\t4\n11\t222\t3333\t44444\n", "1.2..3...4\n11222333344444\n"],
  ["10a", 5, 0, ".", "1\t2\t3\t4\n", "1....2....3....4\n"],
  ["10b", 5, 0, ".", "1\t2\t3\t4\t\n", "1....2....3....4....\n"],
  [
    "wide characters",
    8, 1, ".",
    "本\tb\tc\naa\t本本本\tcccc\tddddd\naaa\tbbbb\n",
    "本......b.......c\naa......本本本..cccc....ddddd\naaa.....bbbb\n",
  ],
  ["12b", 2, 0, " ", "a\tb\tc\naa\tbbb\tcccc\naaa\tbbbb\n", "a  b  c\naa bbbcccc\naaabbbb\n"],
  ["12c", 8, 1, "_", "a\tb\tc\naa\tbbb\tcccc\naaa\tbbbb\n", "a_______b_______c\naa______bbb_____cccc\naaa_____bbbb\n"],
  [
    "column blocks end at shorter lines",
    4, 1, "-",
    "4444\t日本語\t22\t1\t333\n999999999\t22\n7\t22\n\t\t\t88888888\n\n666666\t666666\t666666\t4444\n1\t1\t999999999\t0000000000\n",
    "4444------日本語-22--1---333\n999999999-22\n7---------22\n------------------88888888\n\n" +
      "666666-666666-666666----4444\n1------1------999999999-0000000000\n",
  ],
  [
    "13b",
    4, 3, ".",
    "4444\t333\t22\t1\t333\n999999999\t22\n7\t22\n\t\t\t88888888\n\n666666\t666666\t666666\t4444\n1\t1\t999999999\t0000000000\n",
    "4444........333...22...1...333\n999999999...22\n7...........22\n....................88888888\n\n" +
      "666666...666666...666666......4444\n1........1........999999999...0000000000\n",
  ],
  ["empty middle column", 4, 0, ".", "a\t\tb", "a.......b"],
];

describe("tabwrite", () => {
  test.each(GO_CASES)("%s", (_name, minWidth, padding, padChar, input, output) => {
    expect(tabwrite(input, { minWidth, padding, padChar })).toBe(output);
  });

  test("Docker's settings: at least 10 wide, 3 spaces of padding, last column unpadded", () => {
    expect(tabwrite("CONTAINER ID\tIMAGE\tNAMES\n90435eec5c4e\tbusybox\tgallant_wu\n")).toBe(
      "CONTAINER ID   IMAGE     NAMES\n" + "90435eec5c4e   busybox   gallant_wu\n",
    );
  });
});

describe("renderTable", () => {
  test("header and rows, aligned", () => {
    const out = renderTable(
      ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"],
      [
        ["busybox", "latest", "a416a98b71e2", "2 weeks ago", "4.26MB"],
        ["registry.example.com/team/app", "1.2.3", "0123456789ab", "3 months ago", "123MB"],
      ],
    );
    expect(out).toBe(
      "REPOSITORY                      TAG       IMAGE ID       CREATED        SIZE\n" +
        "busybox                         latest    a416a98b71e2   2 weeks ago    4.26MB\n" +
        "registry.example.com/team/app   1.2.3     0123456789ab   3 months ago   123MB\n",
    );
  });

  test("no rows: the header alone", () => {
    expect(renderTable(["VOLUME NAME", "DRIVER"], [])).toBe("VOLUME NAME   DRIVER\n");
  });
});
