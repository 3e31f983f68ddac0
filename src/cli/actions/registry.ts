import { SkiffError, InvalidArgumentError } from "../../errors.js";
import { loginHost, verifyLogin } from "../../engine/login.js";
import { parseUserReference, pullRepository } from "../../engine/pull.js";
import { pushRepository } from "../../engine/push.js";
import { registryClient } from "../../engine/registry-client.js";
import { removeCredentials, storeCredentials } from "../../registry/credentials.js";
import { search } from "../../registry/search.js";
import type { CliContext } from "../context.js";
import { ellipsis } from "../../gotext/index.js";
import { printList } from "../output.js";
import { ProgressPrinter } from "../progress.js";

// pull, push, login, logout, search: Docker's output.

type Opts = Record<string, unknown>;

export async function pullCommand(ctx: CliContext, name: string, o: Opts): Promise<void> {
  const engine = await ctx.engine();
  const ref = parseUserReference(engine, name);
  const quiet = Boolean(o.quiet);
  // The docker CLI's own line: the daemon is told the tag it completed.
  if (!ref.tag && !ref.digest && !o.allTags && !quiet) process.stdout.write("Using default tag: latest\n");
  const printer = new ProgressPrinter();
  const results = await pullRepository(engine, name, { platform: o.platform as string | undefined, allTags: Boolean(o.allTags) }, quiet ? () => {} : printer.event);
  for (const r of results) process.stdout.write(`${r.name}\n`);
}

export async function pushCommand(ctx: CliContext, name: string, o: Opts): Promise<void> {
  const engine = await ctx.engine();
  const quiet = Boolean(o.quiet);
  const printer = new ProgressPrinter();
  const pushed = await pushRepository(engine, name, { allTags: Boolean(o.allTags) }, quiet ? () => {} : printer.event);
  // -q prints what was pushed, as the docker CLI does.
  if (quiet) for (const p of pushed) process.stdout.write(`${p.name}\n`);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString().replace(/\r?\n$/, "");
}

/** Read a line from the terminal without echoing it. */
async function promptHidden(question: string): Promise<string> {
  process.stderr.write(question);
  const stdin = process.stdin;
  if (!stdin.isTTY) throw new InvalidArgumentError("cannot perform an interactive login from a non TTY device", "pass --password-stdin and pipe the password in");
  stdin.setRawMode(true);
  stdin.resume();
  let value = "";
  try {
    await new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer) => {
        for (const ch of d.toString()) {
          if (ch === "\r" || ch === "\n") {
            stdin.off("data", onData);
            resolve();
            return;
          }
          if (ch === "\u0003") {
            stdin.off("data", onData);
            reject(new SkiffError("login cancelled"));
            return;
          }
          if (ch === "\u007f") value = value.slice(0, -1);
          else value += ch;
        }
      };
      stdin.on("data", onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write("\n");
  }
  return value;
}

async function promptLine(question: string): Promise<string> {
  const { createInterface } = await import("node:readline/promises");
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

export async function loginCommand(ctx: CliContext, server: string | undefined, o: Opts): Promise<void> {
  const engine = await ctx.engine();
  const host = loginHost(engine, server);
  if (o.password && o.passwordStdin) throw new InvalidArgumentError("--password and --password-stdin are mutually exclusive");
  let username = o.username as string | undefined;
  let password = o.password as string | undefined;
  if (o.password) process.stderr.write("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
  if (o.passwordStdin) {
    if (!username) throw new InvalidArgumentError("Must provide --username with --password-stdin");
    password = await readStdin();
  }
  if (!username) username = await promptLine("Username: ");
  if (!password) password = await promptHidden("Password: ");
  await verifyLogin(engine, host, { username, password });
  storeCredentials(host, username, password);
  process.stdout.write("Login Succeeded\n");
}

export async function logoutCommand(ctx: CliContext, server: string | undefined): Promise<void> {
  const engine = await ctx.engine();
  const host = loginHost(engine, server);
  removeCredentials(host);
  process.stdout.write(`Removing login credentials for ${host}\n`);
}

export async function searchCommand(ctx: CliContext, term: string, o: Opts): Promise<void> {
  const engine = await ctx.engine();
  let host = engine.config.defaultRegistry;
  let what = term;
  const slash = term.indexOf("/");
  if (slash > 0 && /[.:]|^localhost$/.test(term.slice(0, slash))) {
    host = term.slice(0, slash);
    what = term.slice(slash + 1);
  }
  const client = registryClient(engine, host);
  let results;
  try {
    results = await search(client, what, { limit: o.limit as number | undefined });
  } finally {
    client.close();
  }
  for (const f of (o.filter as string[]) ?? []) {
    const [k, v] = f.split("=", 2);
    if (k === "stars") results = results.filter((r) => r.stars >= Number(v));
    else if (k === "is-official") results = results.filter((r) => r.official === (v === "true"));
    else if (k === "is-automated") results = results.filter((r) => r.automated === (v === "true"));
    else throw new InvalidArgumentError(`invalid filter '${k}'`);
  }
  const rows = results.map((r) => ({
    Name: r.name,
    Description: o.trunc === false ? r.description : ellipsis(r.description.replace(/\s+/g, " "), 45),
    StarCount: String(r.stars),
    IsOfficial: r.official ? "[OK]" : "",
    IsAutomated: r.automated ? "[OK]" : "",
  }));
  printList(rows, {
    format: o.format as string | undefined,
    defaultFormat: "table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}",
    headers: { Name: "NAME", Description: "DESCRIPTION", StarCount: "STARS", IsOfficial: "OFFICIAL", IsAutomated: "AUTOMATED" },
    rowType: "formatter.searchContext",
  });
}
