import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, test } from "vitest";

// The shape DESIGN.md §1 draws, held against the code: every import in src/
// (static, type-only, re-export or dynamic) points down the rooms' ranks or
// stays in its room, and no files import each other in a circle. A new room
// must be given a rank here, on purpose.

const SRC = join(import.meta.dirname, "..", "..", "src");

/**
 * Rooms by rank, top first; a room may import only rooms of a lower rank
 * (and itself). The CLI sits above the API face only because its `system
 * service` command starts that face; the API never imports the CLI.
 */
const RANKS: string[][] = [
  ["cli"],
  ["api"],
  ["engine"],
  ["builder"],
  ["volume", "network"],
  ["container"],
  ["image"],
  ["layer", "mount", "runtime"],
  ["store", "registry", "events", "userns"],
  ["core"],
  ["config", "gotext"],
  ["digest.ts", "duration.ts", "version.ts"],
  ["errors.ts"],
];

function rankOf(room: string): number {
  const r = RANKS.findIndex((rooms) => rooms.includes(room));
  if (r < 0) throw new Error(`src/${room} has no rank in test/unit/architecture.test.ts: give it one`);
  return RANKS.length - r;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith(".ts") ? [p] : [];
  });
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** Relative imports of a file, as files of src/ (".js" specifiers name the ".ts" source). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2]!;
    if (!spec.startsWith(".")) continue;
    out.push(resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
  }
  return out;
}

const roomOf = (file: string) => relative(SRC, file).split("/")[0]!;

const files = sources(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f)]));

describe("architecture (DESIGN.md §1)", () => {
  test("every import resolves to a file of src/", () => {
    const missing = [...graph].flatMap(([f, deps]) => deps.filter((d) => !graph.has(d)).map((d) => `${relative(SRC, f)} -> ${relative(SRC, d)}`));
    expect(missing).toEqual([]);
  });

  test("imports point down the ranks: no room imports a room above or beside it", () => {
    const wrong: string[] = [];
    for (const [f, deps] of graph) {
      const from = roomOf(f);
      for (const d of deps) {
        const to = roomOf(d);
        if (to !== from && rankOf(to) >= rankOf(from)) wrong.push(`${relative(SRC, f)} -> ${relative(SRC, d)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  test("no files import each other in a circle", () => {
    const circles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const path: string[] = [];
    const visit = (f: string) => {
      state.set(f, "open");
      path.push(f);
      for (const d of graph.get(f) ?? []) {
        if (state.get(d) === "open") circles.push([...path.slice(path.indexOf(d)), d].map((x) => relative(SRC, x)).join(" -> "));
        else if (!state.has(d) && graph.has(d)) visit(d);
      }
      path.pop();
      state.set(f, "done");
    };
    for (const f of files) if (!state.has(f)) visit(f);
    expect(circles).toEqual([]);
  });

  test("the checker sees imports (a sanity check on the parser)", () => {
    const engine = graph.get(join(SRC, "engine", "engine.ts"))!.map((d) => relative(SRC, d));
    expect(engine).toContain("container/service.ts");
    expect(files.length).toBeGreaterThan(150);
  });
});
