import type { CliContext } from "./context.js";

// Option parsers and action wiring shared by commands.

/** Repeatable flag: -e A -e B → ["A", "B"]. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
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
