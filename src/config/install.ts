import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// Where the built parts live. The host runs compiled from build/js/<room>/,
// and under vitest straight from src/<room>/; both sit two levels below the
// package root.
const here = dirname(fileURLToPath(import.meta.url));
export const packageRoot = here.includes(`${join("build", "js")}`) ? join(here, "..", "..", "..") : join(here, "..", "..");

export const nativeDir = join(packageRoot, "build", "native");
export const coreWasm = join(packageRoot, "build", "core.wasm");
export const cliEntry = join(packageRoot, "bin", "skiff.js");

export function nativeProgram(name: "skiff-ns" | "skiff-lock" | "skiff-xattr" | "skiff-runtime" | "skiff-monitor" | "skiff-init"): string {
  return join(nativeDir, name);
}
