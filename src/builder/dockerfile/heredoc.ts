import { lex } from "./shell.js";
import type { Heredoc } from "./types.js";

// Here-documents (Dockerfile 1.4+): `RUN <<EOF`, `COPY <<a.txt <<b.txt /dst`.
// https://docs.docker.com/reference/dockerfile/#here-documents
// A marker is `[n]<<[-]word`. Quoting any part of the word (`'EOF'`, `"EOF"`,
// `E"O"F`) turns expansion of the body off, as in sh. Markers are found with
// the shell lexer using `\` whatever the escape directive says, as BuildKit does.

const MARKER = /^(\d*)<<(-?)\s*([^<]*)$/;
const NO_ENV = new Map<string, string>();

export type Marker = Omit<Heredoc, "content">;

/** Parse one word as a heredoc marker; undefined if it is not one. Throws on a broken quote. */
export function parseMarker(word: string): Marker | undefined {
  const m = MARKER.exec(word);
  if (!m || !m[3]) return undefined;
  const rest = m[3];
  const plain = lex(rest, NO_ENV, { skipUnset: true }).words;
  if (plain.length !== 1) return undefined;
  const raw = lex(rest, NO_ENV, { skipUnset: true, rawQuotes: true }).words;
  // If taking the quotes out changed the number of quote characters, some part was quoted.
  const quotes = (s: string) => (s.match(/['"]/g) ?? []).length;
  return {
    name: plain[0]!,
    fd: m[1] ? Number(m[1]) : 0,
    expand: quotes(plain[0]!) === quotes(raw[0] ?? ""),
    chomp: m[2] === "-",
  };
}

/** Every heredoc marker on an instruction line, in order. */
export function markersInLine(line: string): Marker[] {
  let words: string[];
  try {
    words = lex(line, NO_ENV, { rawQuotes: true, rawEscapes: true, skipUnset: true }).words;
  } catch {
    return []; // a line the lexer cannot read has no heredocs (BuildKit ignores the error)
  }
  const out: Marker[] = [];
  for (const w of words) {
    const marker = parseMarker(w);
    if (marker) out.push(marker);
  }
  return out;
}

/** Strip leading tabs from every line (`<<-`). */
export function chompHeredoc(content: string): string {
  return content.replace(/^\t+/gm, "");
}
