import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { SkiffError } from "../errors.js";
import { nativeProgram } from "../config/install.js";

// Store locks (DESIGN.md §4): one lock file per object that is mutated (an
// image, a layer, a container, the name index), never one global lock held
// across a download. Node has no flock(2), so native/skiff-lock holds the
// locks for us; it dies with this process, and the kernel releases every
// lock even after a kill -9.

export type Release = () => Promise<void>;

export class LockService {
  private helper?: ChildProcess;
  private pending = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  private buffer = "";

  constructor(private readonly dir: string) {}

  private start(): ChildProcess {
    if (this.helper) return this.helper;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const child = spawn(nativeProgram("skiff-lock"), [], { stdio: ["pipe", "pipe", "inherit"] });
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf("\n")) >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        const [status, path, ...msg] = line.split(" ");
        const waiter = this.pending.get(path!);
        if (!waiter) continue;
        this.pending.delete(path!);
        if (this.pending.size === 0) this.idle(true);
        if (status === "ok") waiter.resolve();
        else waiter.reject(new SkiffError(`cannot lock ${path}: ${msg.join(" ")}`));
      }
    });
    child.on("error", (e) => this.failAll(new SkiffError(`cannot start the lock helper: ${e.message}`, { hint: "run `npm run build` in skiff's directory" })));
    child.on("exit", () => {
      this.helper = undefined;
      this.failAll(new SkiffError("the lock helper exited unexpectedly"));
    });
    // The helper must not keep this process alive, nor die before it.
    child.unref();
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    this.helper = child;
    return child;
  }

  /** An idle helper must not keep the process alive; one we await must. */
  private idle(yes: boolean): void {
    const out = this.helper?.stdout as unknown as { ref?: () => void; unref?: () => void } | undefined;
    if (yes) out?.unref?.();
    else out?.ref?.();
  }

  private failAll(e: Error): void {
    for (const w of this.pending.values()) w.reject(e);
    this.pending.clear();
  }

  private request(op: "x" | "s" | "u", path: string): Promise<void> {
    const helper = this.start();
    return new Promise<void>((resolve, reject) => {
      // The helper answers once per path; Node's own callers are serialised per path below.
      this.pending.set(path, { resolve, reject });
      this.idle(false);
      helper.stdin!.write(`${op} ${path}\n`);
    });
  }

  private chains = new Map<string, Promise<unknown>>();

  /** Take the named lock (exclusive or shared); resolves to its release function. */
  async acquire(name: string, mode: "exclusive" | "shared" = "exclusive"): Promise<Release> {
    const path = join(this.dir, `${name.replace(/[^A-Za-z0-9_.-]/g, "_")}.lock`);
    // Within this process, callers of the same lock queue up here.
    const prev = this.chains.get(path) ?? Promise.resolve();
    let releaseChain!: () => void;
    const mine = new Promise<void>((r) => (releaseChain = r));
    const chained = prev.then(() => mine);
    this.chains.set(path, chained);
    await prev;
    try {
      await this.request(mode === "exclusive" ? "x" : "s", path);
    } catch (e) {
      releaseChain();
      throw e;
    }
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      try {
        await this.request("u", path);
      } finally {
        if (this.chains.get(path) === chained) this.chains.delete(path);
        releaseChain();
      }
    };
  }

  /** Run fn while holding the lock. */
  async with<T>(name: string, fn: () => Promise<T>, mode: "exclusive" | "shared" = "exclusive"): Promise<T> {
    const release = await this.acquire(name, mode);
    try {
      return await fn();
    } finally {
      await release();
    }
  }
}
