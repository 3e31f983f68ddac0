import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeJsonAtomic } from "../store/atomic.js";

// User-defined networks on disk, under the storage root:
//   networks/<id>.json         the definition (what `network create` decided)
//   networks/<id>.leases.json  its addresses in use: container id → address
// Both are replaced atomically; the leases only under the network's lock.

export interface UserNetwork {
  Name: string;
  Id: string;
  Created: string;
  Driver: "bridge";
  Subnet: string;
  Gateway: string;
  IPRange?: string;
  Internal: boolean;
  Labels: Record<string, string>;
  Options: Record<string, string>;
  /** The bridge's name in the network namespace (IFNAMSIZ: 15 characters). */
  Bridge: string;
  Mtu: number;
}

export interface Leases {
  /** The next address to try: addresses are handed out in turn, so a freed one is not reused at once. */
  next: number;
  byContainer: Record<string, string>;
}

export class NetworkStore {
  constructor(readonly dir: string) {}

  private file(id: string, kind = ""): string {
    return join(this.dir, `${id}${kind}.json`);
  }

  list(): UserNetwork[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: UserNetwork[] = [];
    for (const n of names) {
      if (!/^[0-9a-f]{64}\.json$/.test(n)) continue;
      try {
        out.push(JSON.parse(readFileSync(join(this.dir, n), "utf8")) as UserNetwork);
      } catch {
        /* being removed */
      }
    }
    return out.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  }

  /** By exact name, full id, or a unique id prefix (Docker's lookup order). */
  find(ref: string): UserNetwork | undefined {
    const all = this.list();
    const byName = all.find((n) => n.Name === ref);
    if (byName) return byName;
    const byId = all.find((n) => n.Id === ref);
    if (byId) return byId;
    if (!/^[0-9a-f]+$/.test(ref)) return undefined;
    const prefixed = all.filter((n) => n.Id.startsWith(ref));
    return prefixed.length === 1 ? prefixed[0] : undefined;
  }

  write(n: UserNetwork): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeJsonAtomic(this.file(n.Id), n);
  }

  remove(id: string): void {
    rmSync(this.file(id), { force: true });
    rmSync(this.file(id, ".leases"), { force: true });
  }

  leases(id: string): Leases {
    try {
      return JSON.parse(readFileSync(this.file(id, ".leases"), "utf8")) as Leases;
    } catch {
      return { next: 0, byContainer: {} };
    }
  }

  writeLeases(id: string, l: Leases): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeJsonAtomic(this.file(id, ".leases"), l);
  }
}
