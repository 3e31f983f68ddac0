import type { Command } from "commander";
import type { Engine } from "../engine/engine.js";
import { cliEntry } from "../config/install.js";

/** Thrown to end the CLI with a given exit status (after output was written). */
export class ExitCode {
  constructor(readonly code: number) {}
}

interface GlobalOptions {
  root?: string;
  runroot?: string;
  storageDriver?: string;
  logLevel?: string;
  debug?: boolean;
}

// What every command action gets: the engine (created on first use) and the
// means to move the rest of the command into skiff's user namespace.
export class CliContext {
  exitCode = 0;
  /** Exit status for errors that do not fix their own: Docker's 1, or 125 for commands that run containers. */
  errorExitCode = 1;
  private globals: GlobalOptions = {};
  private engineInstance?: Engine;

  constructor(readonly argv: string[]) {}

  setGlobals(opts: GlobalOptions, _action: Command): void {
    this.globals = opts;
  }

  get debug(): boolean {
    return Boolean(this.globals.debug) || this.globals.logLevel === "debug";
  }

  async engine(): Promise<Engine> {
    if (!this.engineInstance) {
      const { Engine } = await import("../engine/engine.js");
      this.engineInstance = Engine.open({
        root: this.globals.root,
        runRoot: this.globals.runroot,
        storageDriver: this.globals.storageDriver,
        logLevel: this.debug ? "debug" : this.globals.logLevel,
        inNamespace: process.env.SKIFF_IN_NS === "1",
        // A test knob: one command can be given more (or less) registry patience than skiff.conf's.
        registryTimeoutMs: Number(process.env.SKIFF_REGISTRY_TIMEOUT_MS) || undefined,
        onWarning: (message) => process.stderr.write(`WARN: ${message}\n`),
      });
    }
    return this.engineInstance;
  }

  /**
   * Commands that own files as container ids or mount things must run inside
   * skiff's user namespace (DESIGN.md §3). Outside it, re-run this same
   * command line there and end with its status; inside, return at once.
   */
  async enterNamespace(): Promise<void> {
    const engine = await this.engine();
    if (engine.inNamespace) return;
    const code = await engine.userns.run([process.execPath, cliEntry, ...this.argv], {
      env: { ...process.env, SKIFF_IN_NS: "1" },
    });
    throw new ExitCode(code);
  }
}
