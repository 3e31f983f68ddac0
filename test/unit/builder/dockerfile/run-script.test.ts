import { describe, expect, test } from "vitest";
import { parseDockerfile } from "../../../../src/builder/dockerfile/parse.js";
import { runScript } from "../../../../src/builder/dockerfile/run-script.js";
import { parseTriggers } from "../../../../src/builder/dockerfile/triggers.js";
import type { RunInstruction } from "../../../../src/builder/dockerfile/types.js";

const run = (text: string) => runScript(parseDockerfile(`FROM a\n${text}`).instructions[1] as RunInstruction);

describe("what a RUN executes", () => {
  test("plain shell and exec forms", () => {
    expect(run("RUN make all")).toEqual({ useShell: true, command: ["make all"], files: [] });
    expect(run('RUN ["make", "all"]')).toEqual({ useShell: false, command: ["make", "all"], files: [] });
  });

  test("a lone heredoc is the script, tabs stripped for <<-", () => {
    expect(run("RUN <<EOF\napk add curl\ncurl -V\nEOF")).toEqual({ useShell: true, command: ["apk add curl\ncurl -V\n"], files: [] });
    expect(run("RUN <<-EOF\n\tset -e\n\t\techo hi\nEOF")).toMatchObject({ command: ["set -e\necho hi\n"] });
  });

  test("a heredoc with #! becomes an executable file under /dev/pipes", () => {
    expect(run("RUN <<script\n#!/usr/bin/env python3\nprint('hi')\nscript")).toEqual({
      useShell: true,
      command: ["/dev/pipes/script"],
      files: [{ path: "/dev/pipes/script", data: "#!/usr/bin/env python3\nprint('hi')\n", mode: 0o755 }],
    });
  });

  test("heredocs inside a longer command go to the shell as sh here-documents", () => {
    expect(run("RUN python3 <<PY\nprint(1)\nPY")).toMatchObject({ command: ["python3 <<PY\nprint(1)\nPY"] });
    expect(run("RUN <<A cat > /a && cat <<-B > /b\none\nA\n\ttwo\n\tB")).toMatchObject({ command: ["<<A cat > /a && cat <<-B > /b\none\nA\n\ttwo\nB"] });
  });
});

describe("ONBUILD triggers from a base image", () => {
  test("each entry is one instruction", () => {
    const [copy, run2] = parseTriggers(["COPY . /app/src", "RUN <<EOF\nmake\nEOF"], "example/base");
    expect(copy).toMatchObject({ keyword: "COPY", sources: ["."], dest: "/app/src" });
    expect(run2).toMatchObject({ keyword: "RUN", heredocs: [{ name: "EOF", content: "make\n" }] });
  });

  test("refused entries", () => {
    expect(() => parseTriggers(["FROM x"], "img")).toThrow("ONBUILD trigger of img: FROM isn't allowed as an ONBUILD trigger");
    expect(() => parseTriggers(["RUN a\nRUN b"], "img")).toThrow("onbuild trigger should be a single expression");
    expect(() => parseTriggers(["BOGUS x"], "img")).toThrow("ONBUILD trigger of img:1: unknown instruction: BOGUS");
  });

  test("an ONBUILD expression round-trips through the parser", () => {
    const ins = parseDockerfile("FROM a\nONBUILD RUN <<EOF\necho $HOME\nEOF\n").instructions[1]!;
    if (ins.keyword !== "ONBUILD") throw new Error("not ONBUILD");
    const [again] = parseTriggers([ins.expression]);
    expect(again).toMatchObject({ keyword: "RUN", command: ["<<EOF"], heredocs: [{ content: "echo $HOME\n" }] });
  });
});
