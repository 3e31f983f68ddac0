import { createReadStream, renameSync, rmSync } from "node:fs";
import { dirname, join, basename } from "node:path";
import type { Readable } from "node:stream";
import type { Engine } from "../../engine/engine.js";
import { InvalidArgumentError, SkiffError } from "../../errors.js";
import { loadImages, saveImages, type ArchiveFormat } from "../../image/archive.js";
import { applyChanges } from "../../image/changes.js";
import { importImage } from "../../image/import.js";
import { hostPlatform, parsePlatform } from "../../image/platform.js";
import { parseReference } from "../../image/reference.js";
import { familiar } from "../../image/service.js";
import { ProgressPrinter } from "../progress.js";

// save, load and import.

export async function saveCommand(engine: Engine, names: string[], opts: { output?: string; format: string }): Promise<void> {
  const formats: Record<string, ArchiveFormat> = { "docker-archive": "docker-archive", "oci-archive": "oci-archive", "oci-dir": "oci-dir" };
  const format = formats[opts.format];
  if (!format) throw new InvalidArgumentError(`unknown archive format "${opts.format}"`, "use docker-archive, oci-archive or oci-dir");
  if (!opts.output && process.stdout.isTTY)
    throw new SkiffError("cowardly refusing to save to a terminal. Use the -o flag or redirect", { code: 1 });
  const selected = names.map((n) => {
    const image = engine.images.get(n);
    // Saved by name: that name goes into the archive; by id: all its names, as Docker does.
    const byId = /^(sha256:)?[a-f0-9]{6,64}$/.test(n) && image.record.id.slice(7).startsWith(n.replace(/^sha256:/, ""));
    let wanted: string[];
    if (byId) wanted = image.tags;
    else {
      const ref = parseReference(n);
      wanted = ref.digest ? [] : [ref.toString()];
    }
    return { image, names: wanted };
  });
  const progress = () => {};
  if (!opts.output) {
    await saveImages(engine.images, selected, format, process.stdout, progress);
    return;
  }
  if (format === "oci-dir") {
    await saveImages(engine.images, selected, format, opts.output, progress);
    return;
  }
  // Write next to the target and rename, so a failed save leaves no half archive.
  const tmp = join(dirname(opts.output), `.${basename(opts.output)}.skiff-tmp-${process.pid}`);
  try {
    await saveImages(engine.images, selected, format, tmp, progress);
    renameSync(tmp, opts.output);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export async function loadCommand(engine: Engine, opts: { input?: string; quiet?: boolean; platform?: string }): Promise<void> {
  if (!opts.input && process.stdin.isTTY)
    throw new InvalidArgumentError("requested load from stdin, but stdin is empty", "pipe an image archive into it, or use -i FILE");
  const printer = new ProgressPrinter();
  const loaded = await loadImages(
    opts.input ?? process.stdin,
    engine.layout,
    () => engine.storeDestination({ mode: "load", onWarning: warn }),
    opts.platform ? parsePlatform(opts.platform) : hostPlatform(),
    opts.quiet || !process.stdout.isTTY ? () => {} : printer.event,
  );
  for (const img of loaded) {
    for (const [tag, old] of Object.entries(img.retagged))
      process.stdout.write(`The image ${familiar(tag)} already exists, renaming the old one with ID ${old} to empty string\n`);
    if (img.names.length) for (const n of img.names) process.stdout.write(`Loaded image: ${familiar(n)}\n`);
    else process.stdout.write(`Loaded image ID: ${img.id}\n`);
  }
}

export async function importCommand(engine: Engine, file: string, repo: string | undefined, opts: { change: string[]; message?: string; platform?: string }): Promise<void> {
  let source: Readable;
  if (file === "-") source = process.stdin;
  else if (/^https?:\/\//.test(file)) throw new SkiffError(`importing from a URL is not supported: ${file}`, { hint: "download it first (curl -LO URL), then import the file" });
  else {
    source = createReadStream(file, { highWaterMark: 1 << 20 });
    await new Promise<void>((resolve, reject) => {
      source.once("open", () => resolve());
      source.once("error", (e: NodeJS.ErrnoException) =>
        reject(e.code === "ENOENT" ? new InvalidArgumentError(`open ${file}: no such file or directory`) : e),
      );
    });
  }
  const names = repo ? [parseReference(repo).toString()] : [];
  const id = await importImage(engine, source, {
    names,
    config: applyChanges({}, opts.change),
    message: opts.message,
    sourceName: file === "-" ? "-" : file,
    platform: opts.platform ? parsePlatform(opts.platform) : undefined,
    ignoreChownErrors: engine.userns.mapping.singleId,
    onWarning: warn,
  });
  process.stdout.write(`${id}\n`);
}

function warn(msg: string): void {
  process.stderr.write(`WARN: ${msg}\n`);
}
