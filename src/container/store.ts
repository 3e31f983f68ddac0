import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConflictError, InvalidArgumentError, NotFoundError } from "../errors.js";
import { writeJsonAtomic } from "../store/atomic.js";
import type { StoreLayout } from "../store/layout.js";
import { randomName, validName } from "./names.js";
import type { ContainerRecord } from "./record.js";

// Container records, one directory each, and the name index: one symlink per
// name pointing at the id, so reserving a name is a single atomic symlink(2)
// — two `run --name x` at once cannot both win.

export class ContainerStore {
  readonly namesDir: string;

  constructor(
    readonly layout: StoreLayout,
    readonly runRoot: string,
  ) {
    this.namesDir = join(layout.containers, ".names");
  }

  dir(id: string): string {
    return join(this.layout.containers, id);
  }

  /** The attach socket; kept short (sun_path is 108 bytes) under the runtime directory. */
  socketPath(id: string): string {
    const dir = join(this.runRoot, "c");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return join(dir, `${id.slice(0, 16)}.sock`);
  }

  newId(): string {
    return randomBytes(32).toString("hex");
  }

  /** Reserve `name` (or a random one) for `id`; throws Docker's conflict error if taken. */
  reserveName(id: string, name?: string): string {
    mkdirSync(this.namesDir, { recursive: true, mode: 0o700 });
    if (name !== undefined) {
      const n = name.replace(/^\//, "");
      if (!validName(n)) throw new InvalidArgumentError(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
      try {
        symlinkSync(id, join(this.namesDir, n));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        const owner = this.nameOwner(n);
        if (owner && !existsSync(this.dir(owner))) {
          // Debris of a container removed by a killed process: take it over.
          unlinkSync(join(this.namesDir, n));
          return this.reserveName(id, n);
        }
        throw new ConflictError(
          `Conflict. The container name "/${n}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`,
        );
      }
      return n;
    }
    for (;;) {
      const n = randomName((x) => existsSync(join(this.namesDir, x)));
      try {
        symlinkSync(id, join(this.namesDir, n));
        return n;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
    }
  }

  releaseName(name: string, id: string): void {
    if (this.nameOwner(name) === id) rmSync(join(this.namesDir, name), { force: true });
  }

  nameOwner(name: string): string | undefined {
    try {
      return readlinkSync(join(this.namesDir, name.replace(/^\//, "")));
    } catch {
      return undefined;
    }
  }

  ids(): string[] {
    try {
      return readdirSync(this.layout.containers).filter((n) => /^[a-f0-9]{64}$/.test(n) && existsSync(join(this.layout.containers, n, "config.json")));
    } catch {
      return [];
    }
  }

  read(id: string): ContainerRecord {
    try {
      return JSON.parse(readFileSync(join(this.dir(id), "config.json"), "utf8")) as ContainerRecord;
    } catch {
      throw new NotFoundError(`No such container: ${id}`);
    }
  }

  write(record: ContainerRecord): void {
    writeJsonAtomic(join(this.dir(record.Id), "config.json"), record);
  }

  /** Docker's lookup: full id, exact name, then unique id prefix. */
  resolve(input: string): string {
    const name = input.replace(/^\//, "");
    if (/^[a-f0-9]{64}$/.test(input) && existsSync(join(this.dir(input), "config.json"))) return input;
    const owner = this.nameOwner(name);
    if (owner && existsSync(join(this.dir(owner), "config.json"))) return owner;
    if (/^[a-f0-9]+$/.test(input)) {
      const hits = this.ids().filter((i) => i.startsWith(input));
      if (hits.length === 1) return hits[0]!;
      if (hits.length > 1) throw new ConflictError(`multiple IDs found with provided prefix: ${input}`);
    }
    throw new NotFoundError(`No such container: ${input}`);
  }

  /** Create the container's directory with its record, atomically. */
  create(record: ContainerRecord, dirs: string[]): void {
    const tmp = this.layout.tempPath("container");
    mkdirSync(tmp, { mode: 0o700 });
    for (const d of dirs) mkdirSync(join(tmp, d), { recursive: true, mode: 0o755 });
    // No one reads the directory before the rename. An --rm container does not
    // outlive a crash (Docker drops them when its daemon restarts), so its
    // record skips the fsync that keeps other records whole across one.
    if (record.HostConfig.AutoRemove) writeFileSync(join(tmp, "config.json"), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o644 });
    else writeJsonAtomic(join(tmp, "config.json"), record);
    renameSync(tmp, this.dir(record.Id));
  }

  /** Remove the directory: first out of sight (under tmp/), then from disk. */
  remove(id: string): void {
    const dir = this.dir(id);
    if (!existsSync(dir)) return;
    const trash = this.layout.tempPath("deleted-container");
    renameSync(dir, trash);
    rmSync(trash, { recursive: true, force: true });
  }
}
