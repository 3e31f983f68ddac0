import { createHash } from "node:crypto";
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { resolveInRoot } from "../container/copy.js";
import { SkiffError } from "../errors.js";
import { contentDigest } from "./cache.js";
import { cleanSource } from "./copy-plan.js";
import { sourceFiles } from "./copy-step.js";
import type { RunMount } from "./dockerfile/index.js";

// RUN --mount as the step container's own mounts:
// - type=cache: a directory under build-cache/mounts/, one per id (or
//   target), kept between builds and never part of a layer;
// - type=bind: a path of the context, a stage or an image, read-only unless
//   `rw`, and then a copy, so the step's writes go nowhere (as BuildKit);
// - type=tmpfs: a tmpfs;
// - secret and ssh are refused: skiff has no --secret or --ssh to feed them.
// https://docs.docker.com/reference/dockerfile/#run---mount

export interface MountSources {
  storageRoot: string;
  contextDir: string;
  excluded: (rel: string) => boolean;
  /** A fresh directory removed after the build. */
  tempDir(): string;
  /** The tree `from` names (a stage or an image, mounted), or the context without one. */
  sourceRoot(from: string | undefined): Promise<{ root: string; imageId?: string }>;
}

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

/** What the bind mounts bring, for the cache key: the context files' digest, or the stage or image id. */
export async function bindMountsDigest(mounts: RunMount[], src: MountSources): Promise<string | undefined> {
  const parts: string[] = [];
  for (const m of mounts) {
    if (m.type !== "bind") continue;
    const rel = cleanSource(m.source ?? "");
    if (m.from) {
      parts.push(`${(await src.sourceRoot(m.from)).imageId}:${rel}`);
      continue;
    }
    const host = join(src.contextDir, rel);
    if (!existsSync(host)) continue;
    const isDir = statSync(host).isDirectory();
    parts.push(contentDigest(sourceFiles({ hostPath: host, rel, isDir }, src.excluded)));
  }
  return parts.length ? parts.join(",") : undefined;
}

/** The mounts as the container's `--mount` specs. */
export async function mountSpecs(mounts: RunMount[], src: MountSources): Promise<string[]> {
  const out: string[] = [];
  for (const m of mounts) {
    if (m.type === "secret" || m.type === "ssh")
      throw new SkiffError(`RUN --mount=type=${m.type} is not supported by skiff build`, { hint: "use type=bind, cache or tmpfs" });
    if (!m.target) throw new SkiffError(`RUN --mount=type=${m.type} needs a target`);
    const target = m.target.startsWith("/") ? m.target : `/${m.target}`;
    if (m.type === "tmpfs") out.push(`type=tmpfs,target=${target}${m.size ? `,tmpfs-size=${m.size}` : ""}`);
    else if (m.type === "cache") {
      const dir = join(src.storageRoot, "build-cache", "mounts", sha(m.id ?? target));
      if (!existsSync(dir)) {
        mkdirSync(dir, { recursive: true, mode: m.mode ?? 0o755 });
        chmodSync(dir, m.mode ?? 0o755);
        chownSync(dir, m.uid ?? 0, m.gid ?? 0);
      }
      out.push(`type=bind,source=${dir},target=${target}${m.readOnly ? ",readonly" : ""}`);
    } else {
      const { root, imageId } = await src.sourceRoot(m.from);
      const rel = cleanSource(m.source ?? "");
      let host = imageId ? resolveInRoot(root, rel) : join(root, rel);
      if (!existsSync(host)) throw new SkiffError(`RUN --mount: source ${m.source ?? "/"} not found${m.from ? ` in ${m.from}` : " in the build context"}`);
      if (!m.readOnly) {
        const copy = join(src.tempDir(), "bind");
        cpSync(host, copy, { recursive: true, verbatimSymlinks: true });
        host = copy;
      }
      out.push(`type=bind,source=${host},target=${target}${m.readOnly ? ",readonly" : ""}`);
    }
  }
  return out;
}
