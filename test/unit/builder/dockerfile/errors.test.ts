import { describe, expect, test } from "vitest";
import { InvalidArgumentError } from "../../../../src/errors.js";
import { DockerfileError } from "../../../../src/builder/dockerfile/errors.js";
import { parseDockerfile } from "../../../../src/builder/dockerfile/parse.js";

// Errors say where: file, line, and BuildKit's wording of the cause.

function error(text: string, fileName?: string): DockerfileError {
  try {
    parseDockerfile(text, { fileName });
  } catch (err) {
    return err as DockerfileError;
  }
  throw new Error("no error");
}

describe("Dockerfile errors", () => {
  test("an unknown instruction, with its line", () => {
    const err = error("FROM alpine\n\n# comment\nRUN true\n\n\nFOOBAR bar\n");
    expect(err).toBeInstanceOf(DockerfileError);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err.message).toBe("Dockerfile:7: unknown instruction: FOOBAR");
    expect(err).toMatchObject({ file: "Dockerfile", line: 7, endLine: 7, detail: "unknown instruction: FOOBAR", status: 400 });
    expect(err.hint).toBe("see https://docs.docker.com/reference/dockerfile/");
  });

  test("close misspellings get a suggestion, in the same case", () => {
    expect(error("FROM a\nRUNN echo").message).toBe("Dockerfile:2: unknown instruction: RUNN (did you mean RUN?)");
    expect(error("FROM a\ncoppy a b").message).toBe("Dockerfile:2: unknown instruction: coppy (did you mean copy?)");
    expect(error("FROM a\nENTRYPONT x").message).toBe("Dockerfile:2: unknown instruction: ENTRYPONT (did you mean ENTRYPOINT?)");
    expect(error("FROM a\nXYZZY x").message).toBe("Dockerfile:2: unknown instruction: XYZZY");
  });

  test("the caller's file name is used", () => {
    expect(error("FROM a\nENV X", "docker/Dockerfile.dev").message).toBe("docker/Dockerfile.dev:2: ENV must have two arguments");
  });

  test("errors in an instruction know its keyword and span", () => {
    const err = error("FROM a\nENV A=1 \\\n  B \\\n  C=3\n");
    expect(err).toMatchObject({ line: 2, endLine: 4, instruction: "ENV" });
    expect(err.message).toBe(`Dockerfile:2: Syntax error - can't find = in "B". Must be of the form: name=value`);
    expect(err.hint).toBe("see https://docs.docker.com/reference/dockerfile/#env");
  });

  test("line numbers stay right after here-documents", () => {
    expect(error("FROM a\nRUN <<EOF\none\ntwo\nEOF\nCOPY x\n").message).toBe(
      "Dockerfile:6: COPY requires at least two arguments, but only one was provided. Destination could not be determined",
    );
  });

  test("an unterminated here-document", () => {
    const err = error("FROM a\nRUN <<EOF\necho hi\n");
    expect(err.message).toBe("Dockerfile:2: unterminated heredoc");
    expect(err.endLine).toBe(3);
  });

  test("parser directive mistakes", () => {
    expect(error("# escape=\\\n# escape=`\nFROM a").message).toBe("Dockerfile:2: only one escape parser directive can be used");
    expect(error("# escape=x\nFROM a").message).toBe("Dockerfile:1: invalid escape token 'x' does not match ` or \\");
  });

  test("files with nothing to build", () => {
    expect(error("").message).toBe("Dockerfile: the Dockerfile cannot be empty");
    expect(error("# only a comment\n\n   \n").message).toBe("Dockerfile: file with no instructions");
    expect(error("\n").message).toBe("Dockerfile: file with no instructions");
  });

  test("JSON that is an array of something else", () => {
    expect(error('FROM a\nCMD ["echo", {"a": 1}]').message).toBe(
      "Dockerfile:2: when using JSON array syntax, arrays must be comprised of strings only",
    );
  });

  test("flag mistakes", () => {
    expect(error("FROM a\nCOPY --chmod=644 --chmod=600 a b").message).toBe("Dockerfile:2: duplicate flag specified: --chmod");
    expect(error("FROM a\nRUN --mont=type=cache x").message).toBe("Dockerfile:2: unknown flag: --mont (did you mean mount?)");
  });
});
