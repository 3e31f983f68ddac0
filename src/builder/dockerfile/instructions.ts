import { SyntaxProblem } from "./errors.js";
import { checkFlags } from "./flags.js";
import { chompHeredoc, parseMarker } from "./heredoc.js";
import { parseJsonArray } from "./json-form.js";
import { commandInstruction, healthcheckInstruction, shellInstruction } from "./commands.js";
import type {
  ArgDefinition, CopyCommon, Instruction, InstructionBase, KeyValue, Keyword,
} from "./types.js";
import { parseWords, splitOnce, splitWhitespace } from "./words.js";

// From one logical line (keyword, flags, argument text) to a typed
// instruction, with BuildKit's argument rules and error messages per keyword.
// https://docs.docker.com/reference/dockerfile/

export const KEYWORDS: readonly Keyword[] = [
  "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
  "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
];

/** Everything but the typed fields. */
export type Head = InstructionBase;

export type OnbuildBuilder = (head: Head) => Instruction;

const atLeastOne = (k: string) => new SyntaxProblem(`${k} requires at least one argument`);
const exactlyOne = (k: string) => new SyntaxProblem(`${k} requires exactly one argument`);

/** A stage name after `AS`: lower case letter first, then letters, digits, "-", "_", ".". */
const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

export function buildInstruction(head: Head, escape: string, onbuild: OnbuildBuilder): Instruction {
  const { keyword, args } = head;
  switch (keyword) {
    case "FROM": {
      const words = splitWhitespace(args);
      let stageName: string | undefined;
      if (words.length === 3 && words[1]!.toLowerCase() === "as") {
        stageName = words[2]!.toLowerCase();
        if (!STAGE_NAME.test(stageName))
          throw new SyntaxProblem(`invalid name for build stage: ${JSON.stringify(words[2])}, name can't start with a number or contain symbols`);
      } else if (words.length !== 1) throw new SyntaxProblem("FROM requires either one or three arguments");
      const flags = checkFlags(keyword, head.flags);
      return { ...head, keyword, image: words[0]!, stageName, platform: flags.string("platform") };
    }
    case "ARG": {
      const words = parseWords(args, escape);
      if (words.length === 0) throw atLeastOne(keyword);
      checkFlags(keyword, head.flags);
      const definitions = words.map((w): ArgDefinition => {
        const eq = w.indexOf("=");
        if (eq < 0) return { name: w };
        if (eq === 0) throw new SyntaxProblem("ARG names can not be blank");
        return { name: w.slice(0, eq), value: w.slice(eq + 1) };
      });
      return { ...head, keyword, definitions };
    }
    case "ENV":
    case "LABEL": {
      const pairs = keyValues(keyword, args, escape);
      checkFlags(keyword, head.flags);
      return { ...head, keyword, pairs };
    }
    case "ADD":
    case "COPY":
      return copyInstruction(head, keyword);
    case "EXPOSE": {
      const ports = splitWhitespace(args);
      if (ports.length === 0) throw atLeastOne(keyword);
      checkFlags(keyword, head.flags);
      return { ...head, keyword, ports };
    }
    case "VOLUME": {
      const json = parseJsonArray(args);
      const volumes = json ?? splitWhitespace(args);
      if (volumes.length === 0) throw atLeastOne(keyword);
      checkFlags(keyword, head.flags);
      const trimmed = volumes.map((v) => v.trim());
      if (trimmed.some((v) => v === "")) throw new SyntaxProblem("VOLUME specified can not be an empty string");
      return { ...head, keyword, form: json ? "exec" : "shell", volumes: trimmed };
    }
    case "USER":
    case "WORKDIR":
    case "STOPSIGNAL":
    case "MAINTAINER": {
      // The whole rest of the line is the one argument: `WORKDIR /my dir` is allowed.
      if (args === "") throw exactlyOne(keyword);
      checkFlags(keyword, head.flags);
      if (keyword === "USER") return { ...head, keyword, user: args };
      if (keyword === "WORKDIR") return { ...head, keyword, path: args };
      if (keyword === "STOPSIGNAL") return { ...head, keyword, signal: args };
      return { ...head, keyword, maintainer: args };
    }
    case "RUN":
    case "CMD":
    case "ENTRYPOINT":
      return commandInstruction(head, keyword);
    case "SHELL":
      return shellInstruction(head);
    case "HEALTHCHECK":
      return healthcheckInstruction(head);
    case "ONBUILD":
      return onbuild(head);
  }
}

/** ENV and LABEL: `k=v k2="v 2"`, or the legacy `k value with spaces`. */
function keyValues(keyword: "ENV" | "LABEL", rest: string, escape: string): KeyValue[] {
  const words = parseWords(rest, escape);
  if (words.length === 0) throw atLeastOne(keyword);
  if (!words[0]!.includes("=")) {
    // Legacy form: the first word is the key, everything after it the value
    // (`ENV ONE TWO= THREE=world` sets ONE to "TWO= THREE=world").
    const parts = splitOnce(rest);
    if (parts.length < 2) throw new SyntaxProblem(`${keyword} must have two arguments`);
    return [{ key: parts[0]!, value: parts[1]!, legacy: true }];
  }
  return words.map((w) => {
    const eq = w.indexOf("=");
    if (eq < 0) throw new SyntaxProblem(`Syntax error - can't find = in ${JSON.stringify(w)}. Must be of the form: name=value`);
    if (eq === 0) throw new SyntaxProblem(`${keyword} names can not be blank`);
    return { key: w.slice(0, eq), value: w.slice(eq + 1), legacy: false };
  });
}

function copyInstruction(head: Head, keyword: "ADD" | "COPY"): Instruction {
  const json = parseJsonArray(head.args);
  const words = json ?? splitWhitespace(head.args);
  if (words.length < 2)
    throw new SyntaxProblem(`${keyword} requires at least two arguments, but only one was provided. Destination could not be determined`);
  const flags = checkFlags(keyword, head.flags);
  const dest = words.at(-1)!;
  if (marker(dest)) throw new SyntaxProblem(`${keyword} cannot accept a heredoc as a destination`);
  const common: Omit<CopyCommon, "keyword"> = {
    ...head,
    sources: [],
    inline: [],
    dest,
    form: json ? "exec" : "shell",
    chown: flags.string("chown"),
    chmod: flags.string("chmod"),
    link: flags.bool("link") ?? false,
    exclude: flags.list("exclude"),
  };
  for (const src of words.slice(0, -1)) {
    const m = marker(src);
    if (!m) {
      common.sources.push(src);
      continue;
    }
    const doc = head.heredocs.find((h) => h.name === m.name);
    const content = doc?.content ?? "";
    common.inline.push({ path: m.name, data: m.chomp ? chompHeredoc(content) : content, expand: m.expand });
  }
  if (keyword === "COPY") return { ...common, keyword, from: flags.string("from"), parents: flags.bool("parents") ?? false };
  return {
    ...common,
    keyword,
    checksum: flags.string("checksum"),
    keepGitDir: flags.bool("keep-git-dir"),
    unpack: flags.bool("unpack"),
  };
}

/** A source word that is a heredoc marker; a broken one counts as a plain path. */
function marker(word: string) {
  try {
    return parseMarker(word);
  } catch {
    return undefined;
  }
}
