import { encodeJSON, formatList, Template, templateText, type ListFormatOptions } from "../gotext/index.js";

// Printing helpers shared by commands: Docker's --format handling for
// listings and for inspect, and its JSON indentation.

/** A listing (images, ps, volume ls): default table, a template, `table …` or json. */
export function printList(rows: readonly object[], opts: ListFormatOptions): void {
  process.stdout.write(formatList(rows, opts));
}

/** `inspect`: a JSON array indented like Docker's, or one template run per item. */
export function printInspect(items: readonly unknown[], format?: string): void {
  if (!format) {
    process.stdout.write(`${items.length ? JSON.stringify(items, null, 4) : "[]"}\n`);
    return;
  }
  if (format === "json") {
    for (const i of items) process.stdout.write(`${encodeJSON(i)}\n`);
    return;
  }
  const t = Template.parse(templateText(format));
  for (const i of items) process.stdout.write(`${t.execute(i)}\n`);
}

/** Items of a non-list command (info, version) with --format. */
export function printFormatted(items: readonly unknown[], format: string): void {
  printInspect(items, format);
}

/** Docker's y/N confirmation for prune commands; false without a "y" on stdin. */
export async function confirm(question: string): Promise<boolean> {
  process.stdout.write(`${question} [y/N] `);
  const { createInterface } = await import("node:readline");
  const rl = createInterface({ input: process.stdin });
  const answer: string = await new Promise((resolve) => {
    rl.once("line", resolve);
    rl.once("close", () => resolve(""));
  });
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}
