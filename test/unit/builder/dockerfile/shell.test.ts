import { describe, expect, test } from "vitest";
import { InvalidArgumentError } from "../../../../src/errors.js";
import { expandString, expandWords, lex } from "../../../../src/builder/dockerfile/shell.js";

// Docker's shell lexer, case by case. "ERR" means the expansion must fail.
const ENV = new Map([
  ["HOME_DIR", "/srv"],
  ["SH", "zsh"],
  ["EMPTY", ""],
  ["WIDE", "日本"],
  ["FILE", "archive.tar.gz"],
  ["DIR", "/a/b/"],
  ["SPACED", "abc  def"],
  ["LEADING", "  ab c"],
  ["TRAILING", "ab c   "],
]);
const ERR = Symbol("error");

const WORD: [string, string | typeof ERR][] = [
  ["plain", "plain"],
  ["a$HOME_DIR", "a/srv"],
  ["a${HOME_DIR}b", "a/srvb"],
  ["a$home_dir.", "a."], // names are case-sensitive
  // The escape character.
  ["a\\$HOME_DIR", "a$HOME_DIR"],
  ["a\\\\$HOME_DIR", "a\\/srv"],
  ["ab\\tc", "abtc"],
  ["end\\", "end"],
  ["end\\\\", "end\\"],
  ["x\\'yz", "x'yz"],
  ["x\\\\'yz", ERR],
  ["\\${}", "${}"],
  ["a\\${}b", "a${}b"],
  // Double quotes: $ expands, the escape works only on " $ and itself.
  ['"a\\$HOME_DIR"', "a$HOME_DIR"],
  ['"a\\\\$HOME_DIR"', "a\\/srv"],
  ['"ab\\tc"', "ab\\tc"],
  ['"ab\\\\tc"', "ab\\tc"],
  ['"x\'$HOME_DIR\'"', "x'/srv'"],
  ['"x\'y"', "x'y"],
  ['"\'\'"', "''"],
  ['"$HOME_DIR"', "/srv"],
  ['"open', ERR],
  ['"open\\"', ERR],
  // Single quotes: everything literal, no escapes at all.
  ["'$HOME_DIR'", "$HOME_DIR"],
  ["'\\$HOME_DIR'", "\\$HOME_DIR"],
  ["'ab\\tc'", "ab\\tc"],
  ["'ab\\\\tc'", "ab\\\\tc"],
  ["'x\\'", "x\\"],
  ["'\"q\"'", '"q"'],
  ["x'y'z", "xyz"],
  ["x'yz", ERR],
  // Things that are not variables.
  ["$.", "$."],
  ["a$.b", "a$.b"],
  ["100$", "100$"],
  // Bad substitutions.
  ["${}", ERR],
  ["a${}b", ERR],
  ["${.}", ERR],
  ["${{a}", ERR],
  ["${:}", ERR],
  ["${:-b}", ERR],
  ["${:+b}", ERR],
  ["${HOME_DIR", ERR],
  ["${a:-b", ERR],
  ["${a:-b ${c}", ERR],
  ["${X:Y}", ERR],
  ["${HOME_DIR:=v}", ERR],
  ["${FILE:#x}", ERR],
  ["${FILE:%x}", ERR],
  // Braces.
  ["${NOPE}", ""],
  ["x${NOPE}y", "xy"],
  ["${a}}", "}"],
  ["${a:-b}}", "b}"],
  ["${a:-b {c}", "b {c"],
  // :- and -
  ["${NOPE:-dflt}", "dflt"],
  ["${HOME_DIR:-dflt}", "/srv"],
  ["${NOPE:-$HOME_DIR}", "/srv"],
  ["${NOPE:-${ALSO:-deep}}", "deep"],
  ["${NOPE:-${HOME_DIR:-deep}}", "/srv"],
  ["${EMPTY:-d}", "d"],
  ["${EMPTY-d}", ""],
  ["${NOPE-d}", "d"],
  ["${NOPE:-\\$HOME_DIR:}", "$HOME_DIR:"],
  ["${NOPE:-\\${HOME_DIR}z}", "${HOME_DIRz}"],
  ["${NOPE:-a\\}b}", "a}b"],
  // :+ and +
  ["${NOPE:+alt}", ""],
  ["${HOME_DIR:+alt}", "alt"],
  ["${EMPTY:+alt}", ""],
  ["${EMPTY+alt}", "alt"],
  ["${NOPE+alt}", ""],
  ["${HOME_DIR:+${SH}}", "zsh"],
  ["${HOME_DIR:+${NOPE}}", ""],
  ["${HOME_DIR:+${HOME_DIR}:}", "/srv:"],
  // :? and ?
  ["${HOME_DIR:?}", "/srv"],
  ["${HOME_DIR?}", "/srv"],
  ["${EMPTY?}", ""],
  ["${EMPTY:?}", ERR],
  ["${NOPE?}", ERR],
  ["${NOPE:?}", ERR],
  // Positional and special parameters are never set in a Dockerfile.
  ["$1", ""],
  ["${1}", ""],
  ["${1:-one}", "one"],
  ["${1:+one}", ""],
  ["$999x", "x"],
  ["${999}x", "x"],
  ["${001:-z}", "z"],
  ["$@", ""],
  ["$*", ""],
  ["$#", ""],
  ["$?", ""],
  ["$-", ""],
  ["$$", ""],
  ["$!", ""],
  ["$0", ""],
  ["$@@@", "@@"],
  ["${@}x", "x"],
  ["${#:-b}", "b"],
  ["${$:+b}", ""],
  // Non-ASCII text and values.
  ["日本$WIDE", "日本日本"],
  ["안'녕'하세요", "안녕하세요"],
  ["안'녕하세요", ERR],
  ["안녕\\t", "안녕t"],
  ["${WIDE}語", "日本語"],
  // Pattern removal and replacement.
  ["${FILE#*.}", "tar.gz"],
  ["${FILE##*.}", "gz"],
  ["${FILE%.*}", "archive.tar"],
  ["${FILE%%.*}", "archive"],
  ["${FILE#archive}", ".tar.gz"],
  ["${FILE#nomatch}", "archive.tar.gz"],
  ["${FILE%?z}", "archive.tar."],
  ["${DIR%/}", "/a/b"],
  ["${DIR#/*/}", "b/"],
  ["${NOPE#x}", ""],
  ["${FILE/a/A}", "Archive.tar.gz"],
  ["${FILE//a/A}", "Archive.tAr.gz"],
  ["${FILE/.*/}", "archive"],
  ["${FILE//[/x}", "archive.tar.gz"],
  ["${DIR//\\//:}", ":a:b:"],
  ["${FILE/a", ERR],
];

describe("expandString (one word, white space kept)", () => {
  test.each(WORD)("%s", (input, want) => {
    if (want === ERR) expect(() => expandString(input, ENV)).toThrow(InvalidArgumentError);
    else expect(expandString(input, ENV)).toBe(want);
  });

  test("errors name the text and the cause, as BuildKit words them", () => {
    expect(() => expandString("${NOPE:?}", ENV)).toThrow('failed to process "${NOPE:?}": NOPE: is not allowed to be unset');
    expect(() => expandString("${NOPE:?give it}", ENV)).toThrow("NOPE: give it");
    expect(() => expandString("${EMPTY:?}", ENV)).toThrow("EMPTY: is not allowed to be empty");
    expect(() => expandString("a${}", ENV)).toThrow("syntax error: bad substitution");
    expect(() => expandString("${HOME_DIR", ENV)).toThrow("syntax error: missing '}'");
    expect(() => expandString("${X:Y}", ENV)).toThrow("unsupported modifier (:Y) in substitution");
    expect(() => expandString("'open", ENV)).toThrow("unexpected end of statement while looking for matching single-quote");
    expect(() => expandString('"open', ENV)).toThrow("unexpected end of statement while looking for matching double-quote");
    expect(() => expandString("${FILE/\\./_}", ENV)).toThrow("invalid pattern");
  });
});

const WORDS: [string, string[] | typeof ERR][] = [
  ["hello", ["hello"]],
  ["a${NOPE}b", ["ab"]],
  ["a${SPACED}b", ["aabc", "defb"]],
  ['a"${SPACED}"b', ["aabc  defb"]],
  ['a "${SPACED}"b', ["a", "abc  defb"]],
  ["x${LEADING}y", ["x", "ab", "cy"]],
  ['"x${LEADING}" y', ["x  ab c", "y"]],
  ["x${LEADING}", ["x", "ab", "c"]],
  ["x${TRAILING}", ["xab", "c"]],
  ["x${TRAILING}d", ["xab", "c", "d"]],
  ['"x${TRAILING}"d', ["xab c   d"]],
  ['x" y  "', ["x y  "]],
  ["x   y", ["x", "y"]],
  ["  x\ty  ", ["x", "y"]],
  ["x\\ y", ["x y"]],
  ['x\\" y', ['x"', "y"]],
  ['"x\\\\y"', ["x\\y"]],
  ["'x\\\\y'", ["x\\\\y"]],
  ["''", []],
  ["", []],
  ["x'", ERR],
  // Text before a substitution with a modifier stays in the same word.
  ["pre${NOPE:-x}post", ["prexpost"]],
  ["80/tcp ${NOPE:-443/udp}", ["80/tcp", "443/udp"]],
  ["a<<b", ["a<<b"]],
];

describe("expandWords (split like sh, quotes keep words together)", () => {
  test.each(WORDS)("%s", (input, want) => {
    if (want === ERR) expect(() => expandWords(input, ENV)).toThrow(InvalidArgumentError);
    else expect(expandWords(input, ENV)).toEqual(want);
  });
});

describe("lexer options", () => {
  test("the backtick escape leaves backslashes alone (Windows paths)", () => {
    expect(expandString("C:\\Users\\x", ENV, { escape: "`" })).toBe("C:\\Users\\x");
    expect(expandString("a`$HOME_DIR", ENV, { escape: "`" })).toBe("a$HOME_DIR");
    expect(expandString('"a`"b"', ENV, { escape: "`" })).toBe('a"b');
    expect(expandWords("a` b c", ENV, { escape: "`" })).toEqual(["a b", "c"]);
  });

  test("skipUnset keeps references to unset variables as written", () => {
    const text = "$NOPE ${NOPE} ${NOPE:-d} ${NOPE/a/b} $HOME_DIR";
    expect(expandString(text, ENV, { skipUnset: true })).toBe("$NOPE ${NOPE} ${NOPE:-d} ${NOPE/a/b} /srv");
  });

  test("rawQuotes and rawEscapes keep the characters but still group", () => {
    expect(expandWords(`'a b' "c d" e\\ f`, ENV, { rawQuotes: true, rawEscapes: true })).toEqual(["'a b'", '"c d"', "e\\ f"]);
  });

  test("skipQuotes treats quotes as text (here-document bodies)", () => {
    expect(expandString(`say "$SH" and '$SH'\n`, ENV, { skipQuotes: true })).toBe(`say "zsh" and 'zsh'\n`);
  });

  test("reports which variables were found and which were not", () => {
    const r = lex("$HOME_DIR ${NOPE:-x} $SH", ENV);
    expect([...r.matched].sort()).toEqual(["HOME_DIR", "SH"]);
    expect([...r.unmatched]).toEqual(["NOPE"]);
  });
});
