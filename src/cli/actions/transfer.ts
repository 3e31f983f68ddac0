import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import type { Engine } from "../../engine/engine.js";
import { checkArchiveFormat, importTarball, loadArchive, loadMessages, saveImages } from "../../engine/archive.js";
import { InvalidArgumentError, SkiffError } from "../../errors.js";
import { ProgressPrinter } from "../progress.js";

// save, load and import: where the archive comes from or goes (a file or
// the terminal's streams), and Docker's lines about what was done.

export async function saveCommand(engine: Engine, names: string[], opts: { output?: string; format: string }): Promise<void> {
  const format = checkArchiveFormat(opts.format);
  if (!opts.output && process.stdout.isTTY) throw new SkiffError("cowardly refusing to save to a terminal. Use the -o flag or redirect", { code: 1 });
  await saveImages(engine, names, opts.output ?? process.stdout, format);
}

export async function loadCommand(engine: Engine, opts: { input?: string; quiet?: boolean; platform?: string }): Promise<void> {
  if (!opts.input && process.stdin.isTTY)
    throw new InvalidArgumentError("requested load from stdin, but stdin is empty", "pipe an image archive into it, or use -i FILE");
  const printer = new ProgressPrinter();
  const r = await loadArchive(engine, opts.input ?? process.stdin, { platform: opts.platform }, opts.quiet || !process.stdout.isTTY ? () => {} : printer.event);
  for (const w of r.warnings) process.stderr.write(`WARN: ${w}\n`);
  for (const line of loadMessages(r)) process.stdout.write(`${line}\n`);
}

async function opened(file: string): Promise<Readable> {
  const source = createReadStream(file, { highWaterMark: 1 << 20 });
  await new Promise<void>((resolve, reject) => {
    source.once("open", () => resolve());
    source.once("error", (e: NodeJS.ErrnoException) => reject(e.code === "ENOENT" ? new InvalidArgumentError(`open ${file}: no such file or directory`) : e));
  });
  return source;
}

export async function importCommand(engine: Engine, file: string, repo: string | undefined, opts: { change: string[]; message?: string; platform?: string }): Promise<void> {
  const isUrl = /^https?:\/\//.test(file);
  const source = file === "-" || isUrl ? process.stdin : await opened(file);
  const r = await importTarball(engine, source, { repo, changes: opts.change, message: opts.message, platform: opts.platform, sourceName: file });
  for (const w of r.warnings) process.stderr.write(`WARN: ${w}\n`);
  process.stdout.write(`${r.id}\n`);
}
