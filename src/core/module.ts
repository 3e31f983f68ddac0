// Finding, compiling and instantiating build/core.wasm. Compiled once per
// thread, lazily: commands that never hash or diff never pay for it.
import { existsSync, readFileSync } from "node:fs";
import { coreWasm } from "../config/install.js";
import { SkiffError } from "../errors.js";
import * as L from "./layout.js";

// This project's TypeScript setup has no DOM library, so the few WebAssembly
// shapes used here are described locally (and cannot clash with a global one).
/** A compiled WebAssembly.Module; cloneable to worker threads. */
export interface WasmModule {
  readonly [Symbol.toStringTag]: string;
}
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
const Wasm = (globalThis as unknown as {
  WebAssembly: {
    Module: new (bytes: Uint8Array) => WasmModule;
    Instance: new (module: WasmModule, imports: object) => { readonly exports: object };
  };
}).WebAssembly;

/** The raw exports of core.wasm (the ABI is documented in assembly/ and src/core/layout.ts). */
export interface CoreExports {
  readonly memory: WasmMemory;
  heapBase(): number;
  errorIndex(): number;
  layoutSignature(): number;
  sha256Init(ctx: number): void;
  sha256Update(ctx: number, ptr: number, len: number): void;
  sha256Final(ctx: number, out: number): void;
  utf16ToUtf8(table: number, count: number, fields: number, block: number): void;
  classifyUpper(table: number, count: number, scratch: number, classOut: number, opsOut: number): number;
  applyLayer(
    exist: number, nE: number, layer: number, nL: number, scratch: number,
    existOut: number, layerOut: number, mergedOut: number,
  ): number;
  diffTrees(oldT: number, nA: number, newT: number, nB: number, flags: number, scratch: number, out: number): number;
}

/** Every export the host relies on; a test checks core.wasm against this list. */
export const CORE_EXPORTS = [
  "memory", "heapBase", "errorIndex", "layoutSignature", "sha256Init", "sha256Update", "sha256Final",
  "utf16ToUtf8", "classifyUpper", "applyLayer", "diffTrees",
] as const;

/** Where core.wasm is: build/core.wasm under the package root (src/config/install.ts finds it from the bundle, tsc's output or the sources). SKIFF_CORE_WASM overrides. */
export function coreWasmPath(): string {
  const found = process.env.SKIFF_CORE_WASM || coreWasm;
  if (!existsSync(found))
    throw new SkiffError(`core.wasm not found at ${found}`, {
      hint: "build it with `npm run build` (or `node scripts/build.mjs wasm`)",
    });
  return found;
}

let compiled: WasmModule | undefined;

/** The compiled module, shared by every instance in this thread (and sent to digest workers). */
export function coreModule(): WasmModule {
  // Synchronous compile is fine in Node (no main-thread size limit) and keeps callers synchronous.
  compiled ??= new Wasm.Module(readFileSync(coreWasmPath()));
  return compiled;
}

/** The layout fingerprint, computed exactly as assembly/index.ts layoutSignature() does. */
export function layoutSignature(): number {
  let h = 2166136261;
  for (const v of [
    L.LAYOUT_VERSION, L.RECORD_SIZE, L.SHA256_CONTEXT_SIZE, L.SHA256_TOTAL, L.R_TYPE, L.R_MTIME,
    L.SCRATCH_FIXED, L.SCRATCH_PER_ENTRY, L.OP_OPAQUE, L.LAYER_SUPERSEDED, L.KIND_DELETE, -L.ERR_UNSORTED_OTHER,
  ])
    h = Math.imul((h ^ v) >>> 0, 16777619) >>> 0;
  return h;
}

/** A fresh instance with its own memory, checked against this host's layout. */
export function instantiateCore(module: WasmModule = coreModule()): CoreExports {
  const exports = new Wasm.Instance(module, {}).exports as CoreExports;
  if (exports.layoutSignature() >>> 0 !== layoutSignature())
    throw new SkiffError("core.wasm was built from a different src/core/layout.ts than this code", {
      hint: "rebuild it with `node scripts/build.mjs wasm`",
    });
  return exports;
}
