// The one door to core.wasm. Everything outside src/core imports from here.
export { Sha256, Sha256Stream, sha256, sha256Hex, sha256HexOf, sha256Stream } from "./sha256.js";
export { DigestWorkers, HIGH_WATER, WorkerSha256, digestWorkers } from "./digest-worker.js";
export { WorkerSha256Stream } from "./digest-stream.js";
export {
  type EntryType, type PathEntry, type TreeEntry, type UpperEntry,
  comparePaths, opaqueMarkerPath, sortEntries, whiteoutPath,
} from "./entries.js";
export {
  type ExistingFate, type FlatEntry, type LayerApplication, type LayerMember, type LayerRole, type UpperClass,
  type UpperLayer, applyLayer, classifyUpper, flattenLayers,
} from "./whiteout.js";
export { type ChangeKind, type DiffOptions, type TreeChange, diffTrees, diffTreesRaw } from "./tree-diff.js";
