import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// Where the built parts live, relative to this code — which runs from the
// bundle (build/skiff.cjs), from tsc's output (build/js/config/) or, under
// vitest, from src/config/: the package root is the nearest directory up
// that has package.json.
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "package.json"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("skiff: cannot find its package directory");
}

export const packageRoot = findRoot();
export const nativeDir = join(packageRoot, "build", "native");
export const coreWasm = join(packageRoot, "build", "core.wasm");
export const cliEntry = join(packageRoot, "bin", "skiff.js");

export function nativeProgram(name: "skiff-ns" | "skiff-lock" | "skiff-fsattr" | "skiff-runtime" | "skiff-monitor" | "skiff-init"): string {
  return join(nativeDir, name);
}
