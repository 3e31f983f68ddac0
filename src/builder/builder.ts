import { createHash } from "node:crypto";
import { chmodSync, existsSync, lstatSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, posix } from "node:path";
import { addImageOnTop, adoptUpperAsLayer } from "../container/commit.js";
import { resolveInRoot } from "../container/copy.js";
import type { ContainerService } from "../container/service.js";
import { CancelledError, SkiffError } from "../errors.js";
import { formatPlatform, hostPlatform } from "../image/platform.js";
import { parseReference } from "../image/reference.js";
import { type ImageService, type LocalImage } from "../image/service.js";
import type { ContainerConfig } from "../image/types.js";
import type { LayerRecord, LayerStore } from "../layer/store.js";
import { walkTree } from "../layer/tree-walk.js";
import type { BlobStore } from "../store/blobs.js";
import type { LockService } from "../store/locks.js";
import { resolveUser } from "../runtime/user.js";
import { BuildCache, contentDigest, type CacheProbe, type CopiedFile } from "./cache.js";
import { DEFAULT_SHELL, configStep, type StageState } from "./config-steps.js";
import { contextEntries, type BuildContext } from "./context.js";
import { checkMultipleSources, cleanSource, destination, hasWildcard, matchSource, parseChmod, splitChown, targetFor } from "./copy-plan.js";
import { copyInto, ensureDir, isArchive, sourceFiles, type CopyItem } from "./copy-step.js";
import { StageScope, parseDockerfile, parseTriggers, planStages, runScript, type AddInstruction, type CopyInstruction, type Expanded, type Instruction, type RunInstruction, type Stage, type StagePlan } from "./dockerfile/index.js";
import { bindMountsDigest, mountSpecs, type MountSources } from "./run-mounts.js";
import { OutputBuffer, createStepContainer, runStepContainer, stepLayer } from "./step-container.js";
import { shortId } from "../digest.js";

// `skiff build` with the classic builder's semantics and output: each
// instruction is a step that makes an image (untagged, its parent the
// previous step's), so the next build can reuse it from the layer cache.
// RUN runs in a container; COPY/ADD and WORKDIR write into a container's
// mounted root; everything else edits the config.
// https://docs.docker.com/reference/dockerfile/

export interface BuilderDeps {
  images: ImageService;
  blobs: BlobStore;
  layers: LayerStore;
  locks: LockService;
  containers: ContainerService;
  storageRoot: string;
  tmpPath(label: string): string;
  mountImage(id: string): Promise<string>;
  unmountImage(id: string): Promise<void>;
  ensureImage(ref: string, pull: "always" | "missing"): Promise<void>;
}

export interface BuilderOptions {
  tags: string[];
  buildArgs: Map<string, string>;
  target?: string;
  noCache: boolean;
  pull: boolean;
  quiet: boolean;
  labels: string[];
  network?: string;
  /** Keep a failed RUN's container (Docker does, unless --force-rm). */
  keepFailed: boolean;
  /** Keep every intermediate container (--rm=false). */
  keepContainers: boolean;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  /** Ends the build at the next step, killing a RUN in progress (an API client that hung up). */
  signal?: AbortSignal;
  /** Told the image id before "Successfully built" (the API's {"aux":{"ID"}} goes there, as Docker's). */
  onBuilt?: (id: string) => void;
}

/** Where a stage stands: its last image, config and variables. */
interface Current extends StageState {
  image?: LocalImage;
  scope: StageScope;
}

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

export class Builder {
  private readonly cache: BuildCache;
  private readonly mounted = new Map<string, string>();
  private readonly temps: string[] = [];
  private stageImages = new Map<number, string>();
  private stageScopes = new Map<number, StageScope>();
  private ctx!: BuildContext;
  private entries?: string[];
  private plan!: StagePlan;
  private step = 0;
  private total = 0;
  private readonly log: NodeJS.WritableStream;

  constructor(
    private readonly deps: BuilderDeps,
    private readonly o: BuilderOptions,
  ) {
    this.cache = new BuildCache(deps.storageRoot);
    this.log = o.quiet ? new OutputBuffer() : o.out;
  }

  private say(line: string): void {
    this.log.write(`${line}\n`);
  }

  async build(ctx: BuildContext): Promise<string> {
    this.ctx = ctx;
    try {
      const id = await this.buildAll();
      if (this.o.quiet) this.o.out.write(`${id}\n`);
      return id;
    } catch (e) {
      if (this.o.quiet) this.o.err.write((this.log as OutputBuffer).text());
      throw e;
    } finally {
      for (const id of this.mounted.keys()) await this.deps.unmountImage(id).catch(() => {});
      for (const t of this.temps) rmSync(t, { recursive: true, force: true });
    }
  }

  private async buildAll(): Promise<string> {
    const parsed = parseDockerfile(this.ctx.dockerfile, { fileName: this.ctx.dockerfileName });
    const platform = hostPlatform();
    const spec = { os: platform.os, architecture: platform.architecture, variant: platform.variant };
    this.plan = planStages(parsed, { target: this.o.target, buildArgs: this.o.buildArgs, buildPlatform: spec, targetPlatform: spec });
    // --label: one more LABEL step at the end of the target stage (the classic builder appends it to the Dockerfile).
    if (this.o.labels.length) {
      const pairs = this.o.labels.map((l) => {
        const eq = l.indexOf("=");
        return eq < 0 ? [l, ""] : [l.slice(0, eq), l.slice(eq + 1)];
      });
      const text = `LABEL ${pairs.map(([k, v]) => `${JSON.stringify(k)}=${JSON.stringify(v)}`).join(" ")}`;
      this.plan.target.instructions.push(parseDockerfile(text).instructions[0]!);
    }
    this.total = this.plan.needed.reduce((n, s) => n + 1 + s.instructions.length, 0);
    for (const stage of this.plan.needed) await this.buildStage(stage);
    const id = this.stageImages.get(this.plan.target.index);
    if (!id) throw new SkiffError("the build produced no image (a scratch stage with no instruction that makes one)");
    if (this.plan.unusedBuildArgs.length) this.say(`[Warning] One or more build-args [${this.plan.unusedBuildArgs.join(" ")}] were not consumed`);
    this.o.onBuilt?.(id);
    this.say(`Successfully built ${shortId(id)}`);
    for (const t of this.o.tags) {
      await this.deps.images.tag(id, t);
      this.say(`Successfully tagged ${parseReference(t).familiarString()}`);
    }
    return id;
  }

  private header(ins: Instruction): void {
    this.checkCancelled();
    this.say(`Step ${++this.step}/${this.total} : ${ins.original}`);
  }

  private checkCancelled(): void {
    if (this.o.signal?.aborted) throw new CancelledError("the build");
  }

  private async buildStage(stage: Stage): Promise<void> {
    this.header(stage.from);
    const scopeOpts = { escape: this.plan.escape, fileName: this.plan.fileName, globalArgs: this.plan.globalArgs, buildArgs: this.plan.buildArgs };
    let image: LocalImage | undefined;
    let scope: StageScope;
    let triggers: Instruction[] = [];
    if (stage.base.kind === "stage") {
      image = this.deps.images.load(this.stageImages.get(stage.base.index)!);
      scope = StageScope.fromStage(this.stageScopes.get(stage.base.index)!);
      triggers = stage.triggers;
    } else {
      if (stage.base.kind === "image") {
        await this.deps.ensureImage(stage.base.ref, this.o.pull ? "always" : "missing");
        image = this.deps.images.get(stage.base.ref);
        triggers = parseTriggers(image.config.config?.OnBuild ?? [], stage.base.ref);
      }
      scope = StageScope.fromImage(image?.config.config?.Env, scopeOpts);
    }
    if (stage.platform && stage.platform !== formatPlatform(hostPlatform()) && stage.platform !== `${hostPlatform().os}/${hostPlatform().architecture}`)
      this.o.err.write(`[Warning] FROM --platform=${stage.platform} ignored: skiff builds for this host's platform (${formatPlatform(hostPlatform())})\n`);
    if (image) this.say(` ---> ${shortId(image.record.id)}`);
    const config: ContainerConfig = structuredClone(image?.config.config ?? {});
    delete config.OnBuild;
    // An image without PATH gets Docker's default one (as the RUN steps see it).
    if (!(config.Env ?? []).some((e) => e.startsWith("PATH="))) config.Env = [...scope.imageEnv].map(([k, v]) => `${k}=${v}`);
    const cur: Current = { image, scope, config, cmdSet: false };
    if (triggers.length) {
      this.say(`# Executing ${triggers.length} build trigger${triggers.length > 1 ? "s" : ""}`);
      for (const t of triggers) await this.instruction(cur, t, stage);
    }
    for (const ins of stage.instructions) {
      this.header(ins);
      await this.instruction(cur, ins, stage);
    }
    if (!cur.image) {
      // A scratch stage of metadata only: still an image (no layers).
      await this.commit(cur, { instruction: "scratch", createdBy: "", config: cur.config });
    }
    this.stageImages.set(stage.index, cur.image!.record.id);
    this.stageScopes.set(stage.index, cur.scope);
  }

  private async instruction(cur: Current, ins: Instruction, stage: Stage): Promise<void> {
    const step = cur.scope.step(ins);
    if (step.keyword === "RUN") return this.run(cur, step);
    if (step.keyword === "COPY" || step.keyword === "ADD") return this.copy(cur, step, stage);
    if (step.keyword === "FROM") throw new SkiffError("FROM is not allowed here");
    // ARG's history line keeps the default as written: the value given with --build-arg shows in RUN's lines only.
    const change = configStep(cur, step.keyword === "ARG" ? ins : step, cur.scope)!;
    const probe: CacheProbe = { parent: cur.image?.record.id ?? "", instruction: `${change.createdBy}\n${JSON.stringify(change.config)}` };
    if (this.cached(cur, probe)) return;
    let layer: LayerRecord | undefined;
    if (step.keyword === "WORKDIR" && change.config.WorkingDir && change.config.WorkingDir !== "/" && (!cur.image || !this.existsInImage(cur.image, change.config.WorkingDir)))
      layer = await this.inContainer(cur, (root) => void ensureDir(root, change.config.WorkingDir!, 0, 0));
    await this.commit(cur, { instruction: probe.instruction, probe, createdBy: change.createdBy, config: change.config, layer });
  }

  /** A cache hit: the stage moves to the cached image. */
  private cached(cur: Current, probe: CacheProbe): boolean {
    if (this.o.noCache) return false;
    const id = this.cache.get(probe);
    if (!id || !this.deps.images.records.has(id)) return false;
    let image: LocalImage;
    try {
      image = this.deps.images.load(id);
    } catch {
      return false;
    }
    if ((image.record.parent ?? "") !== probe.parent) return false;
    for (const l of image.record.layers) if (!this.deps.layers.has(l)) return false;
    cur.image = image;
    cur.config = structuredClone(image.config.config ?? {});
    this.say(" ---> Using cache");
    this.say(` ---> ${shortId(id)}`);
    return true;
  }

  private async commit(cur: Current, s: { instruction: string; probe?: CacheProbe; createdBy: string; config: ContainerConfig; layer?: LayerRecord }): Promise<void> {
    const id = await addImageOnTop(this.deps, {
      parent: cur.image,
      layer: s.layer,
      config: s.config,
      history: { created_by: s.createdBy },
      author: cur.author,
    });
    if (s.probe) this.cache.put(s.probe, id);
    cur.image = this.deps.images.load(id);
    cur.config = s.config;
    this.say(` ---> ${shortId(id)}`);
  }

  /** Whether a path exists in the image's layers (top first; whiteouts and opaque directories honoured). */
  private existsInImage(image: LocalImage, path: string): boolean {
    const parts = path.split("/").filter(Boolean);
    for (const chain of [...image.record.layers].reverse()) {
      const dir = this.deps.layers.diffDir(chain);
      for (let i = 0; i < parts.length; i++) {
        const parent = join(dir, ...parts.slice(0, i));
        if (existsSync(join(parent, `.wh.${parts[i]}`))) return false;
        if (i > 0 && existsSync(join(parent, ".wh..wh..opq")) && !existsSync(join(dir, ...parts))) return false;
      }
      if (existsSync(join(dir, ...parts))) return true;
    }
    return false;
  }

  /** Write into the root of a step container made from the current image; its changes become one layer. */
  private async inContainer(cur: Current, write: (root: string, upper: string) => void | Promise<void>): Promise<LayerRecord> {
    const parentChain = cur.image?.record.layers.at(-1);
    if (!cur.image || cur.image.record.layers.length === 0) {
      // Nothing to mount below: write into an empty directory, which is the whole layer.
      const root = this.deps.tmpPath("build-layer");
      mkdirSync(root, { recursive: true, mode: 0o755 });
      this.temps.push(root);
      await write(root, root);
      const changes = [...walkTree(root)].map((path) => ({ kind: "add" as const, path }));
      return adoptUpperAsLayer(this.deps, root, changes, parentChain);
    }
    const rec = await createStepContainer(this.deps, cur.image.record.id, {});
    try {
      const root = await this.deps.containers.mountedRootfs(rec.Id);
      await write(root, join(this.deps.containers.store.dir(rec.Id), "upper"));
      return await stepLayer(this.deps, rec.Id, parentChain, false);
    } finally {
      await this.deps.containers.remove(rec.Id, { force: true, volumes: true }).catch(() => {});
    }
  }

  private async run(cur: Current, ins: Expanded<RunInstruction>): Promise<void> {
    const script = runScript(ins);
    const shell = cur.config.Shell ?? DEFAULT_SHELL;
    const cmd = script.useShell ? [...shell, ...script.command] : script.command;
    const createdBy = [...cur.scope.historyPrefix(), ...cmd].join(" ");
    const mounts = ins.runMounts ?? [];
    const content = await bindMountsDigest(mounts, this.mountSources());
    const probe: CacheProbe = {
      parent: cur.image?.record.id ?? "",
      instruction: `RUN ${createdBy}\n${JSON.stringify({ mounts, files: script.files, config: cur.config })}`,
      content,
    };
    if (this.cached(cur, probe)) return;
    if (!cur.image || cur.image.record.layers.length === 0)
      throw new SkiffError(`The command '${cmd.join(" ")}' cannot run: the image has no layers (FROM scratch), so there is no ${cmd[0]} to run`);
    const specs = await mountSpecs(mounts, this.mountSources());
    for (const f of script.files) {
      const host = join(this.tempDir(), posix.basename(f.path));
      writeFileSync(host, f.data, { mode: f.mode });
      chmodSync(host, f.mode);
      specs.push(`type=bind,source=${host},target=${f.path},readonly`);
    }
    const env = [...cur.scope.runEnv()].map(([k, v]) => `${k}=${v}`);
    const rec = await createStepContainer(this.deps, cur.image.record.id, {
      command: cmd,
      env,
      workdir: cur.config.WorkingDir,
      user: cur.config.User,
      network: this.runNetwork(ins),
      mounts: specs,
    });
    const short = shortId(rec.Id);
    this.say(` ---> Running in ${short}`);
    let code: number;
    // A cancelled build ends its RUN at once; the step's container goes with it (nobody is left to look at it).
    const kill = () => void this.deps.containers.kill(rec.Id).catch(() => {});
    this.o.signal?.addEventListener("abort", kill, { once: true });
    try {
      this.checkCancelled();
      code = await runStepContainer(this.deps, rec.Id, this.log);
      this.checkCancelled();
    } catch (e) {
      if (!this.o.keepFailed || this.o.signal?.aborted) await this.deps.containers.remove(rec.Id, { force: true, volumes: true }).catch(() => {});
      throw e;
    } finally {
      this.o.signal?.removeEventListener("abort", kill);
    }
    if (code !== 0) {
      if (!this.o.keepFailed) await this.deps.containers.remove(rec.Id, { force: true, volumes: true }).catch(() => {});
      throw new SkiffError(`The command '${cmd.join(" ")}' returned a non-zero code: ${code}`, { code: 1 });
    }
    const image = cur.image;
    const targets = [...mounts.flatMap((m) => (m.target ? [m.target] : [])), ...script.files.map((f) => f.path)];
    const layer = await stepLayer(this.deps, rec.Id, image.record.layers.at(-1), this.o.keepContainers, {
      paths: targets.map((t) => posix.normalize(`/${t}`)),
      inImage: (p) => this.existsInImage(image, p),
    });
    if (!this.o.keepContainers) {
      this.say(`Removing intermediate container ${short}`);
      await this.deps.containers.remove(rec.Id, { force: true, volumes: true });
    }
    await this.commit(cur, { instruction: probe.instruction, probe, createdBy, config: cur.config, layer });
  }

  /** RUN --network=none|host|default, else --network of the build, else the default network (slirp4netns, like Docker's bridge). */
  private runNetwork(ins: Expanded<RunInstruction>): string | undefined {
    if (ins.security === "insecure") throw new SkiffError("RUN --security=insecure is not supported by skiff build");
    if (ins.devices.length) throw new SkiffError("RUN --device is not supported by skiff build");
    const mode = ins.network && ins.network !== "default" ? ins.network : this.o.network;
    return mode && mode !== "default" ? mode : undefined;
  }

  private tempDir(): string {
    const dir = this.deps.tmpPath("build-files");
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    this.temps.push(dir);
    return dir;
  }

  /** The host tree a `from` names (a stage or an image), mounted read-only; the context without one. */
  private async sourceRoot(from: string | undefined): Promise<{ root: string; imageId?: string }> {
    if (from === undefined || from === "") return { root: this.ctx.dir };
    const byName = this.plan.stages.find((s) => s.name === from.toLowerCase());
    const byIndex = /^\d+$/.test(from) ? this.plan.stages[Number(from)] : undefined;
    const stage = byName ?? byIndex;
    let id: string;
    if (stage) {
      const built = this.stageImages.get(stage.index);
      if (!built) throw new SkiffError(`stage ${from} has not been built`);
      id = built;
    } else {
      await this.deps.ensureImage(from, this.o.pull ? "always" : "missing");
      id = this.deps.images.get(from).record.id;
    }
    let root = this.mounted.get(id);
    if (!root) {
      root = await this.deps.mountImage(id);
      this.mounted.set(id, root);
    }
    return { root, imageId: id };
  }

  private mountSources(): MountSources {
    return {
      storageRoot: this.deps.storageRoot,
      contextDir: this.ctx.dir,
      excluded: this.ctx.excluded,
      tempDir: () => this.tempDir(),
      sourceRoot: (from) => this.sourceRoot(from),
    };
  }

  /** uid and gid for --chown, names looked up in the image's /etc/passwd and /etc/group. */
  private owner(cur: Current, chown: string | undefined): { uid: number; gid: number } {
    if (!chown) return { uid: 0, gid: 0 };
    const { user, group } = splitChown(chown);
    const dirs = [...(cur.image?.record.layers ?? [])].reverse().map((l) => this.deps.layers.diffDir(l));
    const isNum = (s: string) => /^\d+$/.test(s);
    const uid = isNum(user) ? Number(user) : resolveUser(user, dirs).uid;
    let gid = uid;
    if (group !== undefined && group !== "") gid = isNum(group) ? Number(group) : resolveUser(`${user}:${group}`, dirs).gid;
    return { uid, gid };
  }

  private async copy(cur: Current, ins: Expanded<CopyInstruction | AddInstruction>, _stage: Stage): Promise<void> {
    const keyword = ins.keyword;
    const from = ins.keyword === "COPY" ? ins.from : undefined;
    if (ins.sources.some((s) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s) || /^git@/.test(s)))
      throw new SkiffError(`${keyword} from a URL or git repository is not supported by skiff build`, { hint: "download the file into the build context and COPY it" });
    if (ins.exclude.length || (ins.keyword === "COPY" && ins.parents))
      throw new SkiffError(`${keyword} ${ins.exclude.length ? "--exclude" : "--parents"} is not supported by skiff build`, { hint: "list the sources to copy instead, or use .dockerignore" });
    const { root, imageId } = await this.sourceRoot(from);
    const excluded = imageId ? undefined : this.ctx.excluded;
    const items: Omit<CopyItem, "target">[] = [];
    for (const src of ins.sources) {
      let matches: string[];
      if (hasWildcard(cleanSource(src))) {
        this.entries ??= contextEntries(this.ctx.dir, this.ctx.excluded);
        const entries = imageId ? contextEntries(root, () => false) : this.entries;
        matches = matchSource(src, entries);
      } else {
        const rel = cleanSource(src);
        const host = imageId ? resolveInRoot(root, rel) : join(root, rel);
        matches = existsSync(host) && (imageId || !this.ctx.excluded(rel) || rel === "") ? [rel] : [];
      }
      if (matches.length === 0)
        throw new SkiffError(
          imageId
            ? `${keyword} failed: stat ${src}: file does not exist in ${from}`
            : `${keyword} failed: file not found in build context or excluded by .dockerignore: stat ${src}: file does not exist`,
        );
      for (const rel of matches) {
        const hostPath = imageId ? resolveInRoot(root, rel) : join(root, rel);
        items.push({ hostPath, rel, isDir: statSync(hostPath).isDirectory() });
      }
    }
    const inlineDir = ins.inline.length ? this.tempDir() : "";
    for (const f of ins.inline) {
      const host = join(inlineDir, posix.basename(f.path));
      writeFileSync(host, f.data, { mode: 0o644 });
      items.push({ hostPath: host, rel: f.path, isDir: false });
    }
    const dest = destination(ins.dest, cur.config.WorkingDir);
    checkMultipleSources(items.length, dest, keyword);
    const owner = this.owner(cur, ins.chown);
    const mode = parseChmod(ins.chmod);
    const unpack = keyword === "ADD" && (ins as AddInstruction).unpack !== false;

    // The content digest names the files in the history line and keys the cache.
    let digest: string;
    if (imageId) digest = `sha256:${sha(JSON.stringify([imageId, items.map((i) => i.rel)]))}`;
    else {
      const files = function* (): Generator<CopiedFile> {
        for (const [n, item] of items.entries())
          for (const f of sourceFiles(item, excluded)) yield { name: `${n}/${f.name}`, path: f.path };
      };
      digest = contentDigest(files());
    }
    const kind = items.length === 1 ? (items[0]!.isDir ? "dir" : "file") : "multi";
    const createdBy = `${[...(cur.config.Shell ?? DEFAULT_SHELL)].join(" ")} #(nop) ${keyword} ${kind}:${digest.slice(7)} in ${dest.path}${dest.isDir && dest.path !== "/" ? "/" : ""} `;
    const probe: CacheProbe = {
      parent: cur.image?.record.id ?? "",
      instruction: `${createdBy}\n${JSON.stringify({ from: from ?? "", chown: ins.chown ?? "", chmod: ins.chmod ?? "", unpack, dest: ins.dest, workdir: cur.config.WorkingDir ?? "" })}`,
      content: digest,
    };
    if (this.cached(cur, probe)) return;
    const layer = await this.inContainer(cur, (target, upper) => {
      let destIsDir = false;
      try {
        destIsDir = lstatSync(resolveInRoot(target, dest.path)).isDirectory();
      } catch {
        /* not there yet */
      }
      const placed: CopyItem[] = items.map((i) => ({
        ...i,
        target: unpack && !i.isDir && lstatSync(i.hostPath).isFile() && isArchive(i.hostPath) ? dest.path : targetFor(i.rel, i.isDir, dest, destIsDir),
      }));
      copyInto(target, placed, { uid: owner.uid, gid: owner.gid, mode, excluded, unpack }, upper);
    });
    await this.commit(cur, { instruction: probe.instruction, probe, createdBy, config: cur.config, layer });
  }
}
