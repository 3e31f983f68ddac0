import type { CliContext } from "./context.js";
import { InvalidArgumentError } from "../errors.js";

// Option parsers and action wiring shared by commands.

/** Repeatable flag: -e A -e B → ["A", "B"]. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Docker's --filter key=value list → map of key → values. */
export function parseFilters(filters: string[], allowed: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of filters) {
    const eq = f.indexOf("=");
    if (eq <= 0) throw new InvalidArgumentError(`bad format of filter (expected name=value)`);
    const key = f.slice(0, eq).toLowerCase();
    if (!allowed.includes(key)) throw new InvalidArgumentError(`invalid filter '${key}'`);
    out.set(key, [...(out.get(key) ?? []), f.slice(eq + 1)]);
  }
  return out;
}

/** Shell-style glob match used by reference filters (path.Match semantics: * does not cross /). */
export function globMatch(pattern: string, s: string): boolean {
  const re = pattern.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]");
  return new RegExp(`^${re}$`).test(s);
}

type ActionModule = Record<string, (ctx: CliContext, ...a: unknown[]) => Promise<void>>;

/**
 * Commander actions backed by a module loaded on first use (start-up parses
 * flags only): `act("fooCommand")` calls the module's fooCommand(ctx,
 * ...arguments, options), leaving out commander's Command object.
 */
export function lazyActions(ctx: CliContext, load: () => Promise<unknown>): (fn: string) => (...args: unknown[]) => Promise<void> {
  return (fn) =>
    async (...args) => {
      const mod = (await load()) as ActionModule;
      await mod[fn]!(ctx, ...args.slice(0, -1));
    };
}
