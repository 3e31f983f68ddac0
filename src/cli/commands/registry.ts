import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { lazyActions } from "../options.js";

// pull, push, login, logout, search.

export function registerRegistryCommands(program: Command, ctx: CliContext): void {
  const act = lazyActions(ctx, () => import("../actions/registry.js"));
  const image = program.commands.find((c) => c.name() === "image");
  for (const parent of [program, image].filter(Boolean) as Command[]) {
    parent
      .command("pull")
      .description("Download an image from a registry")
      .argument("<name>", "NAME[:TAG|@DIGEST]")
      .option("-a, --all-tags", "download all tagged images in the repository")
      .option("-q, --quiet", "suppress verbose output")
      .option("--platform <platform>", "set platform if server is multi-platform capable")
      .action(act("pullCommand"));
    parent
      .command("push")
      .description("Upload an image to a registry")
      .argument("<name>", "NAME[:TAG]")
      .option("-a, --all-tags", "push all tags of an image to the repository")
      .option("-q, --quiet", "suppress verbose output")
      .action(act("pushCommand"));
  }
  program
    .command("login")
    .description("Log in to a registry")
    .argument("[server]")
    .option("-u, --username <username>", "username")
    .option("-p, --password <password>", "password")
    .option("--password-stdin", "take the password from stdin")
    .action(act("loginCommand"));
  program
    .command("logout")
    .description("Log out from a registry")
    .argument("[server]")
    .action(act("logoutCommand"));
  program
    .command("search")
    .description("Search for images in a registry (Docker Hub, or any registry's catalog)")
    .argument("<term>")
    .option("-f, --filter <filter>", "filter output based on conditions provided", (v: string, p: string[] = []) => [...p, v], [])
    .option("--format <format>", "pretty-print search using a Go template")
    .option("--limit <n>", "max number of search results", (v) => parseInt(v, 10))
    .option("--no-trunc", "don't truncate output")
    .action(act("searchCommand"));
}
