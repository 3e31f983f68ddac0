import { SkiffError } from "../../errors.js";
import { copyFiles, exportContainer } from "../../engine/container-files.js";
import type { CliContext } from "../context.js";

// cp and export: a container's files to and from the host. Both run inside
// skiff's namespace, where the container's root is mounted.

type Opts = Record<string, unknown>;

export async function cpCommand(ctx: CliContext, src: string, dest: string, o: Opts): Promise<void> {
  await ctx.enterNamespace();
  await copyFiles(await ctx.engine(), src, dest, { archive: Boolean(o.archive), followLink: Boolean(o.followLink), stdin: process.stdin, stdout: process.stdout });
}

export async function exportCommand(ctx: CliContext, container: string, o: Opts): Promise<void> {
  await ctx.enterNamespace();
  if (!o.output && process.stdout.isTTY) throw new SkiffError("cowardly refusing to save to a terminal. Use the -o flag or redirect");
  await exportContainer(await ctx.engine(), container, (o.output as string | undefined) ?? process.stdout);
}
