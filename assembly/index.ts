// core.wasm: the pure, hot work of skiff, with a flat ABI over linear memory.
// The memory and record layout is in src/core/layout.ts; the only caller is
// src/core/.
import {
  LAYOUT_VERSION, RECORD_SIZE, SCRATCH_FIXED, SCRATCH_PER_ENTRY, SHA256_CONTEXT_SIZE, SHA256_TOTAL,
  R_MTIME, R_TYPE, OP_OPAQUE, LAYER_SUPERSEDED, KIND_DELETE, ERR_UNSORTED_OTHER,
} from "../src/core/layout";
import { lastErrorIndex } from "./tree";

export { sha256Init, sha256Update, sha256Final } from "./sha256";
export { utf16ToUtf8 } from "./strings";
export { classifyUpper } from "./whiteout-upper";
export { applyLayer } from "./whiteout-apply";
export { diffTrees } from "./tree-diff";

/** First address the host may use. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}

/** Index of the entry the last failing call complained about. */
export function errorIndex(): i32 {
  return lastErrorIndex;
}

/**
 * A fingerprint of the layout this module was built with; the host computes
 * the same from its copy of src/core/layout.ts and refuses a stale wasm.
 */
export function layoutSignature(): u32 {
  let h: u32 = 2166136261;
  h = (h ^ LAYOUT_VERSION) * 16777619;
  h = (h ^ RECORD_SIZE) * 16777619;
  h = (h ^ SHA256_CONTEXT_SIZE) * 16777619;
  h = (h ^ SHA256_TOTAL) * 16777619;
  h = (h ^ R_TYPE) * 16777619;
  h = (h ^ R_MTIME) * 16777619;
  h = (h ^ SCRATCH_FIXED) * 16777619;
  h = (h ^ SCRATCH_PER_ENTRY) * 16777619;
  h = (h ^ OP_OPAQUE) * 16777619;
  h = (h ^ LAYER_SUPERSEDED) * 16777619;
  h = (h ^ KIND_DELETE) * 16777619;
  h = (h ^ <u32>(-ERR_UNSORTED_OTHER)) * 16777619;
  return h;
}
