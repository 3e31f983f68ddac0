import { Command, CommanderError } from "commander";
import { asSkiffError, EXIT_ENGINE } from "../errors.js";
import { VERSION } from "../version.js";

// The internal entry point (engine/inside.ts) shares this bundle and its code cache.
export { insideMain } from "../engine/inside-main.js";
import { CliContext, ExitCode } from "./context.js";
import { registerSystemCommands, registerSystemGroup } from "./commands/system.js";
import { registerImageCommands } from "./commands/images.js";
import { registerContainerCommands } from "./commands/containers.js";
import { registerRegistryCommands } from "./commands/registry.js";
import { registerVolumeCommands } from "./commands/volumes.js";
import { registerNetworkCommands } from "./commands/networks.js";
import { registerBuildCommands } from "./commands/build.js";

// The CLI is one of the engine's two faces (the Docker API is the other): it
// parses, hands the request to an engine service, and prints the result. It
// holds no business logic. Command modules register their flags eagerly
// (cheap) and import their implementation only when run.

export function buildProgram(ctx: CliContext): Command {
  const program = new Command("skiff")
    .description("A rootless, daemonless, Docker-compatible container engine")
    .version(`skiff version ${VERSION}`, "-v, --version", "Print version information and quit")
    .option("--root <dir>", "storage root (default $XDG_DATA_HOME/skiff)")
    .option("--runroot <dir>", "runtime state directory (default $XDG_RUNTIME_DIR/skiff)")
    .option("--storage-driver <name>", "storage driver: overlay or vfs")
    .option("-l, --log-level <level>", "set the logging level (debug, info, warn, error)", "warn")
    .option("-D, --debug", "enable debug output")
    .enablePositionalOptions()
    .showHelpAfterError(false)
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      outputError: (s, write) => write(s.replace(/^error: /, "skiff: ")),
    })
    .exitOverride();
  program.hook("preAction", (_this, action) => {
    ctx.setGlobals(program.opts(), action);
  });
  registerSystemCommands(program, ctx);
  registerSystemGroup(program, ctx);
  registerImageCommands(program, ctx);
  registerContainerCommands(program, ctx);
  registerRegistryCommands(program, ctx);
  registerVolumeCommands(program, ctx);
  registerNetworkCommands(program, ctx);
  registerBuildCommands(program, ctx);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const ctx = new CliContext(argv);
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv, { from: "user" });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof ExitCode) return err.code;
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help") return 0;
      // Docker exits 125 on bad flags and missing arguments.
      return EXIT_ENGINE;
    }
    const e = asSkiffError(err);
    if (!e.reported) process.stderr.write(`Error: ${e.message}\n`);
    if (e.hint && !e.reported) process.stderr.write(`Hint: ${e.hint}\n`);
    if (ctx.debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return e.codeIsExplicit ? e.code : ctx.errorExitCode;
  }
}
