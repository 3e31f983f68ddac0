// Printing helpers shared by commands: --format handling and tables.

/** Print items with a --format value: 'json' (one object per line) or a Go template. */
export function printFormatted(items: unknown[], format: string): void {
  if (format === "json" || format === "{{json .}}") {
    for (const item of items) process.stdout.write(`${JSON.stringify(item)}\n`);
    return;
  }
  throw new Error("templates not wired yet");
}
