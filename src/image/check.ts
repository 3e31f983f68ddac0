import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import type { StoreLayout } from "../store/layout.js";
import type { ImageService } from "./service.js";
import { parseManifest } from "./types.js";

// `system check`: every blob re-hashed, every layer present, every image
// complete, every name pointing somewhere. Leftovers of killed processes
// (under tmp/, or a layer directory without its layer.json) are not damage:
// they are listed and removed with --repair, and do not fail the check.

export interface CheckReport {
  blobs: number;
  layers: number;
  images: number;
  problems: string[];
  leftovers: string[];
  repaired: string[];
}

export async function checkStore(layout: StoreLayout, images: ImageService, opts: { repair?: boolean; quick?: boolean } = {}): Promise<CheckReport> {
  const report: CheckReport = { blobs: 0, layers: 0, images: 0, problems: [], leftovers: [], repaired: [] };
  const { blobs, layers, records } = { blobs: images.blobs, layers: images.layers, records: images.records };

  report.leftovers.push(...layout.abandonedTemps());
  for (const name of safeList(layout.layers)) {
    const dir = join(layout.layers, name);
    if (/^[a-f0-9]{64}$/.test(name) && !existsSync(join(dir, "layer.json"))) report.leftovers.push(dir);
  }
  for (const name of safeList(layout.blobs)) if (!/^[a-f0-9]{64}$/.test(name)) report.leftovers.push(join(layout.blobs, name));

  const badBlobs = new Set<string>();
  for (const d of blobs.list()) {
    report.blobs++;
    if (!opts.quick && !(await blobs.verify(d))) {
      badBlobs.add(d);
      report.problems.push(`blob ${d}: content does not match its digest`);
    }
  }
  const badLayers = new Set<string>();
  for (const chainId of layers.list()) {
    report.layers++;
    try {
      const rec = layers.get(chainId);
      if (!statSync(layers.diffDir(chainId)).isDirectory()) throw new Error("no diff directory");
      if (rec.blob && (!blobs.has(rec.blob.digest) || badBlobs.has(rec.blob.digest))) {
        badLayers.add(chainId);
        report.problems.push(`layer ${chainId}: its blob ${rec.blob.digest} is missing or corrupt`);
      }
    } catch (e) {
      if (!existsSync(join(layers.dir(chainId), "layer.json"))) continue; // a leftover, listed above
      badLayers.add(chainId);
      report.problems.push(`layer ${chainId}: ${(e as Error).message}`);
    }
  }
  const badImages = new Set<string>();
  for (const r of records.list()) {
    report.images++;
    const why: string[] = [];
    if (!blobs.has(r.id) || badBlobs.has(r.id)) why.push("config blob missing or corrupt");
    if (!blobs.has(r.manifestDigest) || badBlobs.has(r.manifestDigest)) why.push("manifest blob missing or corrupt");
    else {
      try {
        if (parseManifest(blobs.read(r.manifestDigest)).layers.length !== r.layers.length) why.push("manifest and record disagree on layers");
      } catch (e) {
        why.push((e as Error).message);
      }
    }
    for (const l of r.layers) if (!layers.has(l) || badLayers.has(l)) why.push(`layer ${l} missing or broken`);
    if (why.length) {
      badImages.add(r.id);
      report.problems.push(`image ${r.id}: ${why.join("; ")}`);
    }
  }
  // Unreferenced layers and blobs: what a killed pull or import had written
  // before its image record. Not damage; --repair reclaims them.
  const recs = records.list();
  const usedLayers = new Set(recs.flatMap((r) => r.layers));
  const usedBlobs = new Set(recs.flatMap((r) => [r.id, r.manifestDigest]));
  for (const l of layers.list()) {
    if (usedLayers.has(l) || badLayers.has(l)) continue;
    if (!existsSync(join(layers.dir(l), "layer.json"))) continue;
    report.leftovers.push(layers.dir(l));
  }
  for (const l of layers.list()) {
    if (!usedLayers.has(l)) continue;
    try {
      const b = layers.get(l).blob?.digest;
      if (b) usedBlobs.add(b);
    } catch {
      /* reported above */
    }
  }
  for (const b of blobs.list()) if (!usedBlobs.has(b) && !badBlobs.has(b)) report.leftovers.push(blobs.path(b));

  const index = records.names();
  const live = new Set(records.list().map((r) => r.id));
  const danglingNames = [...Object.entries(index.tags), ...Object.entries(index.digests)].filter(([, id]) => !live.has(id) || badImages.has(id));
  for (const [name, id] of danglingNames) if (!badImages.has(id)) report.problems.push(`name ${name}: points to missing image ${id}`);

  if (opts.repair) {
    for (const p of report.leftovers) {
      rmSync(p, { recursive: true, force: true });
      report.repaired.push(`removed leftover ${p}`);
    }
    for (const id of badImages) {
      records.removeRecord(id);
      report.repaired.push(`removed broken image ${id}`);
    }
    if (danglingNames.length)
      await records.editNames((idx) => {
        for (const [name] of danglingNames) {
          delete idx.tags[name];
          delete idx.digests[name];
          report.repaired.push(`removed name ${name}`);
        }
      });
    for (const l of badLayers) {
      layers.remove(l);
      report.repaired.push(`removed broken layer ${l}`);
    }
    for (const b of badBlobs) {
      blobs.delete(b);
      report.repaired.push(`removed corrupt blob ${b}`);
    }
  }
  return report;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
