import { join } from "node:path";
import { busyboxEntries, dockerArchive, layerTar, type Entry } from "../fixtures/images.js";
import type { SkiffEnv } from "./cli.js";

// Load the generated busybox image (tag `busybox`, plus extra layers when
// asked) into a test's store.

export async function loadBusybox(env: SkiffEnv, tag = "busybox:latest", extra: Entry[] = [], run: Record<string, unknown> = {}): Promise<void> {
  const layers = [await layerTar(busyboxEntries())];
  if (extra.length) layers.push(await layerTar(extra));
  const archive = join(env.base, `${tag.replace(/[/:]/g, "_")}.tar`);
  await dockerArchive(archive, [{ tags: [tag], layers, run }]);
  await env.ok(["load", "-i", archive]);
}
