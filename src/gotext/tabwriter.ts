// Elastic tabstops, as Go's text/tabwriter lays them out, with the settings
// Docker's CLI uses for every table: `tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`
// (cli/command/formatter/formatter.go) — minimum cell width 10, padding 3,
// padded with spaces, left-aligned.
//
// The rules that matter for output compatibility:
// - a cell is text terminated by a tab; the text after the last tab on a line
//   is not part of any column and is never padded;
// - a column is a run of adjacent lines that all have a tab-terminated cell
//   at that index; its width is max(minwidth, widest cell + padding);
// - a line with fewer cells ends the column block above it, so columns below
//   it are measured afresh.
// Algorithm: http://nickgravgaard.com/elastictabstops/

import { displayWidth } from "./width.js";

export interface TabwriterOptions {
  minWidth: number;
  padding: number;
  padChar: string;
}

/** Docker's table settings. */
export const DOCKER_TABLE: TabwriterOptions = { minWidth: 10, padding: 3, padChar: " " };

interface Cell {
  text: string;
  width: number;
}

/** Align a whole block of tab-separated text, as one Write followed by Flush would. */
export function tabwrite(text: string, opts: TabwriterOptions = DOCKER_TABLE): string {
  const lines: Cell[][] = text.split("\n").map((line) => line.split("\t").map((t) => ({ text: t, width: displayWidth(t) })));
  // Text after the last newline is an unfinished line: an empty cell at its
  // end was never terminated, so it does not count (a finished line's does).
  const last = lines[lines.length - 1]!;
  if (last[last.length - 1]!.text === "") last.pop();
  const out: string[] = [];
  const widths: number[] = [];

  const pad = (n: number) => {
    if (n > 0) out.push(opts.padChar.repeat(n));
  };

  const writeLines = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const line = lines[i]!;
      line.forEach((cell, j) => {
        out.push(cell.text);
        if (j < widths.length) pad(widths[j]! - cell.width);
      });
      // The text after the final newline has no newline of its own.
      if (i + 1 < lines.length) out.push("\n");
    }
  };

  const format = (line0: number, line1: number) => {
    const column = widths.length;
    for (let row = line0; row < line1; row++) {
      if (column >= lines[row]!.length - 1) continue;
      // This line opens a block of lines sharing a column at `column`.
      writeLines(line0, row);
      line0 = row;
      let width = opts.minWidth;
      for (; row < line1; row++) {
        const line = lines[row]!;
        if (column >= line.length - 1) break;
        width = Math.max(width, line[column]!.width + opts.padding);
      }
      widths.push(width);
      format(line0, row);
      widths.pop();
      line0 = row;
    }
    writeLines(line0, line1);
  };

  format(0, lines.length);
  return out.join("");
}

/** A table with a header row, aligned the way Docker's default listings are. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  let text = headers.join("\t") + "\n";
  for (const row of rows) text += row.join("\t") + "\n";
  return tabwrite(text);
}
