import { SyntaxProblem } from "./errors.js";
import { chompHeredoc, parseMarker } from "./heredoc.js";
import type { RunInstruction } from "./types.js";

// What a RUN actually executes, here-documents included (BuildKit's rules):
// - `RUN <<EOF` alone: the body is the script, given to the SHELL as one
//   string; a body starting with `#!` is written to /dev/pipes/EOF (0755,
//   mounted read-only) and that path is run instead, so any interpreter works;
// - a heredoc inside a longer command (`RUN python3 <<EOF`, `cat <<EOF > f`):
//   the command and the bodies are handed to the shell, which reads them as
//   sh here-documents (so `<<-` and quoting are the shell's business);
// - the builder never expands variables in RUN: the shell does.
// https://docs.docker.com/reference/dockerfile/#here-documents

export interface RunScript {
  /** Shell form: run as SHELL + [command[0]]. Exec form: run command as is. */
  useShell: boolean;
  command: string[];
  /** Files to mount read-only for the run. */
  files: { path: string; data: string; mode: number }[];
}

const PIPES = "/dev/pipes/";

export function runScript(ins: RunInstruction): RunScript {
  const useShell = ins.form === "shell";
  if (ins.heredocs.length === 0) return { useShell, command: ins.command, files: [] };
  if (ins.command.length !== 1 || !useShell) throw new SyntaxProblem(`parsing produced an invalid run command: ${JSON.stringify(ins.command)}`);
  const marker = safeMarker(ins.command[0]!);
  if (marker) {
    const doc = ins.heredocs[0]!;
    const data = doc.chomp ? chompHeredoc(doc.content) : doc.content;
    if (data.startsWith("#!")) {
      const path = PIPES + doc.name;
      return { useShell, command: [path], files: [{ path, data, mode: 0o755 }] };
    }
    return { useShell, command: [data], files: [] };
  }
  let script = ins.command[0]!;
  for (const doc of ins.heredocs) script += `\n${doc.content}${doc.name}`;
  return { useShell, command: [script], files: [] };
}

function safeMarker(word: string) {
  try {
    return parseMarker(word);
  } catch {
    return undefined;
  }
}
