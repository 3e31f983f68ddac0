import { loadConfig, type Config } from "../config/config.js";
import { ensureRunRoot } from "../userns/runtime-dir.js";
import { currentUser, mappingForCurrentUser } from "../userns/mapping.js";
import { UserNamespace } from "../userns/namespace.js";

// The engine wires the services once; it is the only place that knows them
// all (DESIGN.md §1). Services are created on first use so that a command
// loads only the rooms it needs — start-up time is part of the product.

export interface EngineOptions {
  root?: string;
  runRoot?: string;
  storageDriver?: string;
  logLevel?: string;
}

export class Engine {
  private cache = new Map<string, unknown>();

  constructor(
    readonly config: Config,
    readonly options: EngineOptions = {},
  ) {}

  static open(options: EngineOptions = {}): Engine {
    return new Engine(loadConfig({ storageRoot: options.root, runRoot: options.runRoot }), options);
  }

  protected once<T>(key: string, make: () => T): T {
    if (!this.cache.has(key)) this.cache.set(key, make());
    return this.cache.get(key) as T;
  }

  get runRoot(): string {
    return this.once("runRoot", () => ensureRunRoot(this.config.paths, currentUser().uid));
  }

  get userns(): UserNamespace {
    return this.once("userns", () => new UserNamespace(this.runRoot, mappingForCurrentUser(), currentUser().user));
  }

  /** True when this process already runs inside skiff's user namespace. */
  get inNamespace(): boolean {
    return process.env.SKIFF_IN_NS === "1";
  }
}
