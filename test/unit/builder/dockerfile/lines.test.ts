import { describe, expect, test } from "vitest";
import { parseDockerfile } from "../../../../src/builder/dockerfile/parse.js";
import type { Instruction } from "../../../../src/builder/dockerfile/types.js";

// How the parser reads lines: comments, continuations, the escape directive,
// parser directives and here-documents.

const parse = (text: string) => parseDockerfile(text);
const args = (text: string) => parse(text).instructions.map((i) => `${i.keyword} ${i.args}`);
const lines = (list: Instruction[]) => list.map((i) => [i.keyword, i.startLine, i.endLine]);

describe("comments and blank lines", () => {
  test("a # starts a comment only at the beginning of a line", () => {
    expect(args("# first\nFROM alpine\n   # indented comment\nRUN echo # not a comment\n\n\nCMD x\n")).toEqual([
      "FROM alpine",
      "RUN echo # not a comment",
      "CMD x",
    ]);
  });

  test("keywords are case-insensitive and reported upper-case", () => {
    expect(parse("from alpine\nRun echo\ncMd x").instructions.map((i) => i.keyword)).toEqual(["FROM", "RUN", "CMD"]);
  });

  test("line numbers count every physical line", () => {
    const p = parse("\n# c\nFROM a\n\nRUN a \\\n  b \\\n  c\nCMD x");
    expect(lines(p.instructions)).toEqual([["FROM", 3, 3], ["RUN", 5, 7], ["CMD", 8, 8]]);
    expect(p.instructions[1]!.source).toBe("RUN a \\\n  b \\\n  c");
  });

  test("comments above an instruction are kept with it; an empty comment line starts over", () => {
    expect(parse("# unrelated\n#\n# builds the app\n# with make\nFROM a AS build\n").instructions[0]!.comments).toEqual(["builds the app", "with make"]);
    // As in BuildKit, a blank line does not separate comments.
    expect(parse("# one\n\n# two\nFROM a").instructions[0]!.comments).toEqual(["one", "two"]);
    expect(parse("# one\nFROM a\nRUN x").instructions[1]!.comments).toEqual([]);
  });

  test("CRLF line endings and a byte-order mark", () => {
    const p = parse("\uFEFFFROM alpine\r\nRUN echo a \\\r\n  b\r\nCMD [\"x\"]\r\n");
    expect(p.instructions.map((i) => i.args)).toEqual(["alpine", "echo a   b", '["x"]']);
    expect(p.instructions[2]).toMatchObject({ form: "exec", command: ["x"] });
  });
});

describe("line continuations", () => {
  test("the first line loses leading space, continuation lines keep it", () => {
    expect(args("FROM a\n   RUN echo hello\\\n  world\\\n  good  \\\n  night")).toEqual(["FROM a", "RUN echo hello  world  good    night"]);
  });

  test("space before the escape is kept, space after it is ignored", () => {
    expect(args("FROM a\nRUN echo one  \\  \nmore\nRUN echo two \\\t\nmore")).toEqual(["FROM a", "RUN echo one  more", "RUN echo two more"]);
  });

  test("a lone escape on a line continues too", () => {
    expect(args("FROM a\nRUN echo hi \\\n \\\n there \\\n\\\n end")).toEqual(["FROM a", "RUN echo hi   there  end"]);
  });

  test("comment lines inside a continuation are skipped", () => {
    const p = parse("FROM a\nRUN apt-get update \\\n# explain the next line\n    # indented too\n  && apt-get install -y curl\nCMD x");
    expect(p.instructions[1]!.args).toBe("apt-get update   && apt-get install -y curl");
    expect(p.warnings).toEqual([]);
    expect(lines(p.instructions)).toEqual([["FROM", 1, 1], ["RUN", 2, 5], ["CMD", 6, 6]]);
  });

  test("empty lines inside a continuation are skipped with a warning", () => {
    const p = parse("FROM a\nRUN one \\\n\ntwo \\\n   \nthree\n");
    expect(p.instructions[1]!.args).toBe("one two three");
    expect(p.warnings).toEqual([{ message: "Empty continuation line", line: 6, url: "https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/" }]);
  });

  test("a continuation at the end of the file ends the instruction", () => {
    expect(args("FROM a\nRUN something \\")).toEqual(["FROM a", "RUN something"]);
    expect(args("FROM a\nRUN something \\\n")).toEqual(["FROM a", "RUN something"]);
  });

  test("an escaped escape at the end of a line does not continue it", () => {
    expect(args("FROM a\nRUN echo \\\\\nCMD x")).toEqual(["FROM a", "RUN echo \\\\", "CMD x"]);
  });

  test("the escape inside a word is not a continuation", () => {
    expect(args("FROM a\nRUN echo a\\b\nCMD x")).toEqual(["FROM a", "RUN echo a\\b", "CMD x"]);
  });
});

describe("parser directives", () => {
  test("syntax, escape and check are read from the top", () => {
    const p = parse("# syntax=docker/dockerfile:1.7\n# escape=`\n# check=skip=JSONArgsRecommended\n\nFROM a");
    expect(p.directives).toMatchObject({ syntax: "docker/dockerfile:1.7", escape: "`", check: "skip=JSONArgsRecommended" });
    expect(p.directives.list.map((d) => [d.name, d.line])).toEqual([["syntax", 1], ["escape", 2], ["check", 3]]);
    expect(p.escape).toBe("`");
  });

  test("names are case-insensitive and white space around them is allowed", () => {
    for (const line of ["#escape=`", "# escape =`", "#\tescape= `", "# ESCAPE = `", "#\t  eScApE=`  "])
      expect(parse(`${line}\nFROM a`).escape).toBe("`");
  });

  test("directives stop at the first line that is not one", () => {
    expect(parse("FROM a\n# escape=`").escape).toBe("\\");
    expect(parse("\n# escape=`\nFROM a").escape).toBe("\\");
    expect(parse("# a comment\n# escape=`\nFROM a").escape).toBe("\\");
    expect(parse("# unknowndirective=value\n# escape=`\nFROM a").escape).toBe("\\");
    expect(parse("# syntax=x\n# comment\n# escape=`\nFROM a").directives).toMatchObject({ syntax: "x", escape: "\\" });
  });

  test("a directive without a blank line after it still counts", () => {
    const p = parse("# escape=`\n# an ordinary comment\nFROM image\nENV GOPATH `\n\\go");
    expect(p.escape).toBe("`");
    expect(p.instructions[1]).toMatchObject({ keyword: "ENV", pairs: [{ key: "GOPATH", value: "\\go", legacy: true }] });
  });

  test("a directive later in the file is an ordinary comment", () => {
    const p = parse("# comment first\n# escape=`\nFROM image\nENV GOPATH \\\n\\go");
    expect(p.escape).toBe("\\");
    expect(p.instructions[1]).toMatchObject({ pairs: [{ key: "GOPATH", value: "\\go" }] });
  });

  test("with the backtick escape, a trailing backslash is just a character (Windows paths)", () => {
    const text = "# escape=`\n\nFROM microsoft/nanoserver\nCOPY testfile.txt c:\\\nRUN dir c:\\\n";
    expect(args(text)).toEqual(["FROM microsoft/nanoserver", "COPY testfile.txt c:\\", "RUN dir c:\\"]);
    // Without the directive the backslashes join the lines.
    expect(args(text.replace("# escape=`\n", ""))).toEqual(["FROM microsoft/nanoserver", "COPY testfile.txt c:RUN dir c:"]);
  });

  test("the backtick continues lines and escapes in words", () => {
    const p = parse("# escape=`\nFROM a\nRUN echo one `\n  two\nENV X=a`$b Y=`\"q`\"");
    expect(p.instructions[1]!.args).toBe("echo one   two");
    expect(p.instructions[2]).toMatchObject({ pairs: [{ key: "X", value: "a`$b" }, { key: "Y", value: '`"q`"' }] });
  });
});

describe("here-documents", () => {
  const df = (body: string) => parse(`FROM a\n${body}`).instructions[1]!;

  test("RUN <<EOF reads the body up to the delimiter line", () => {
    const ins = df("RUN <<EOF\napt-get update\napt-get install -y curl\nEOF\nCMD x");
    expect(ins).toMatchObject({ keyword: "RUN", form: "shell", command: ["<<EOF"], startLine: 2, endLine: 5 });
    expect(ins.heredocs).toEqual([{ name: "EOF", fd: 0, expand: true, chomp: false, content: "apt-get update\napt-get install -y curl\n" }]);
    expect(parse("FROM a\nRUN <<EOF\nx\nEOF\nCMD y").instructions[2]).toMatchObject({ keyword: "CMD", startLine: 5 });
  });

  test("the body is raw: comments, quotes, escapes and blank lines are kept", () => {
    const ins = df('RUN <<EOF\n# not a comment\necho "a" \\\n\n  indented $X\nEOF');
    expect(ins.heredocs[0]!.content).toBe('# not a comment\necho "a" \\\n\n  indented $X\n');
  });

  test("<<- strips leading tabs from the delimiter line; the body keeps them until used", () => {
    const ins = df("RUN <<-EOT\n\tone\n\t\ttwo\n\tEOT");
    expect(ins.heredocs[0]).toMatchObject({ name: "EOT", chomp: true, content: "\tone\n\t\ttwo\n" });
  });

  test("quoting any part of the delimiter turns expansion off", () => {
    const cases: [string, string, boolean][] = [
      ["<<EOF", "EOF", true],
      ["<<'EOF'", "EOF", false],
      ['<<"EOF"', "EOF", false],
      ["<<E'O'F", "EOF", false],
      ["<<-'EOF'", "EOF", false],
      ["<<E\\'F", "E'F", true],
      ["<<'one two'", "one two", false],
      ["<<$EOF", "$EOF", true],
      ["<<  EOF", "EOF", true],
    ];
    for (const [marker, name, expand] of cases) {
      const ins = df(`RUN ${marker}\nbody\n${name}\nCMD x`);
      expect(ins.heredocs, marker).toEqual([{ name, fd: 0, expand, chomp: marker.startsWith("<<-"), content: "body\n" }]);
    }
  });

  test("a file descriptor prefix and a command after the marker", () => {
    expect(df("RUN 3<<FD\nx\nFD").heredocs[0]).toMatchObject({ name: "FD", fd: 3 });
    const ins = df("RUN <<PY python3\nprint('hi')\nPY");
    expect(ins).toMatchObject({ command: ["<<PY python3"], heredocs: [{ name: "PY", content: "print('hi')\n" }] });
    expect(df("RUN <<  EOF  > /out\nx\nEOF").heredocs[0]).toMatchObject({ name: "EOF" });
  });

  test("several heredocs on one line are read in order", () => {
    const ins = df("COPY <<one.txt <<two.txt /dest/\nfirst\none.txt\nsecond\ntwo.txt\nCMD x");
    expect(ins).toMatchObject({
      keyword: "COPY",
      sources: [],
      dest: "/dest/",
      inline: [
        { path: "one.txt", data: "first\n", expand: true },
        { path: "two.txt", data: "second\n", expand: true },
      ],
      endLine: 6,
    });
  });

  test("a delimiter inside another body is content", () => {
    const ins = df("COPY <<X <<Y /dest\nY\nX\nX\nY");
    expect(ins).toMatchObject({ inline: [{ path: "X", data: "Y\n" }, { path: "Y", data: "X\n" }] });
  });

  test("COPY <<- strips the tabs of its inline file", () => {
    expect(df("COPY <<-EOF /etc/motd\n\tHello\n\t\tthere\n\tEOF")).toMatchObject({ inline: [{ path: "EOF", data: "Hello\nthere\n" }] });
  });

  test("heredocs mix with ordinary COPY sources", () => {
    expect(df("COPY a.txt <<b.txt c.txt /d/\nB\nb.txt")).toMatchObject({ sources: ["a.txt", "c.txt"], inline: [{ path: "b.txt", data: "B\n" }] });
  });

  test("not heredocs: quoted markers, JSON form, other instructions", () => {
    expect(df('RUN "<<NOT"\nCMD x').heredocs).toEqual([]);
    expect(df('RUN ["cat", "<<EOF"]\nCMD x').heredocs).toEqual([]);
    expect(df("RUN echo a<b\nCMD x").heredocs).toEqual([]);
    // USER takes no heredoc, so the would-be body is read as instructions.
    expect(() => parse("FROM a\nUSER <<X\nX\n")).toThrow("Dockerfile:3: unknown instruction: X");
  });

  test("ONBUILD RUN <<EOF carries the body into its trigger text", () => {
    const ins = df("ONBUILD RUN <<EOF\necho built\nEOF");
    expect(ins).toMatchObject({ keyword: "ONBUILD", expression: "RUN <<EOF\necho built\nEOF", endLine: 4 });
    expect(ins.keyword === "ONBUILD" && ins.trigger.heredocs[0]!.content).toBe("echo built\n");
  });

  test("a heredoc in a continued line", () => {
    const ins = df("RUN --mount=type=cache,target=/var/cache/apt \\\n  <<EOF\napt-get update\nEOF");
    expect(ins).toMatchObject({ startLine: 2, endLine: 5, command: ["<<EOF"], heredocs: [{ content: "apt-get update\n" }] });
  });
});
