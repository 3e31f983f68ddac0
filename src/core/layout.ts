// The binary layout shared by assembly/ (core.wasm) and src/core/ (its host).
//
// This one file is compiled twice: by tsc as part of src/core, and by asc,
// which imports it from assembly/. It may therefore hold only integer
// constants with literal values — no types, no expressions, no imports.
// After changing it, rebuild the wasm (`node scripts/build.mjs wasm`); the
// host refuses a core.wasm whose layoutSignature() differs from its own.
//
// ── Memory ──────────────────────────────────────────────────────────────
// The host owns linear memory above heapBase(): a table of SHA-256 context
// slots, then a scratch arena that each batch call reuses (src/core/memory.ts).
// Nothing in the wasm allocates.
//
// ── SHA-256 context (SHA256_CONTEXT_SIZE bytes, 8-aligned) ──────────────
//   +0    u32[8]  state h0..h7 (host-endian words)
//   +32   u8[64]  partial block
//   +96   u32     bytes in the partial block
//   +104  u64     total bytes hashed
//
// ── Entry table ─────────────────────────────────────────────────────────
// A batch of tree entries is a table of fixed-size records followed (after
// the call's scratch and output areas) by one block of UTF-8 strings the
// records point into, encoded by one encodeInto (src/core/pack.ts;
// utf16ToUtf8() fixes the pointers up when the text is not ASCII). Strings
// are not NUL-terminated; paths cannot contain NUL.
//
//   +0   u32  path pointer   (absolute address in linear memory)
//   +4   u32  path length    (bytes)
//   +8   u32  link pointer   symlink target / hardlink target; length 0 = none
//   +12  u32  link length
//   +16  u32  digest pointer content digest, e.g. "sha256:…"; length 0 = none
//   +20  u32  digest length
//   +24  u16  type          (T_* below)
//   +26  u16  flags         (FLAG_* below)
//   +28  u32  mode          permission bits (07777)
//   +32  u32  uid
//   +36  u32  gid
//   +40  u32  rdev major
//   +44  u32  rdev minor
//   +48  f64  size          bytes
//   +56  f64  mtime         any unit; compared for equality only
//
// Paths are relative ("etc/passwd": no leading "/" or "./", no trailing "/",
// no empty, "." or ".." components); the root itself is never an entry.
// Sorted tables are in TREE ORDER: bytewise over UTF-8 with "/" lower than
// every other byte. That is the same as comparing component by component,
// so a directory is followed by all of its descendants: "a", "a/b", "a-c".
//
// ── Results ─────────────────────────────────────────────────────────────
// Results are written to host-provided output areas as index arrays:
//   classifyUpper: u8 per entry (UPPER_*), and ops as i32 pairs (OP_*, entry index)
//   applyLayer:    u8 per existing entry (EXIST_*), u8 per layer entry (LAYER_*),
//                  and the merged visible list as i32 (>= 0: existing index,
//                  < 0: ~layer index), in tree order
//   diffTrees:     i32 pairs (KIND_*, index into the new table for A/C, the old one for D)
// A negative return value is an error (ERR_*); errorIndex() names the entry.

/** Bumped with every change to this file; the wasm and the host must agree. */
export const LAYOUT_VERSION = 3;

// SHA-256 context
export const SHA256_CONTEXT_SIZE = 128;
export const SHA256_STATE = 0;
export const SHA256_BUFFER = 32;
export const SHA256_BUFFERED = 96;
export const SHA256_TOTAL = 104;
export const SHA256_DIGEST_SIZE = 32;

// Entry record
export const RECORD_SIZE = 64;
export const R_PATH_PTR = 0;
export const R_PATH_LEN = 4;
export const R_LINK_PTR = 8;
export const R_LINK_LEN = 12;
export const R_DIGEST_PTR = 16;
export const R_DIGEST_LEN = 20;
export const R_TYPE = 24;
export const R_FLAGS = 26;
export const R_MODE = 28;
export const R_UID = 32;
export const R_GID = 36;
export const R_RDEV_MAJOR = 40;
export const R_RDEV_MINOR = 44;
export const R_SIZE = 48;
export const R_MTIME = 56;

// Entry types (R_TYPE)
export const T_FILE = 0;
export const T_DIR = 1;
export const T_SYMLINK = 2;
export const T_HARDLINK = 3;
export const T_CHAR = 4;
export const T_BLOCK = 5;
export const T_FIFO = 6;
export const T_SOCKET = 7;

// Entry flags (R_FLAGS)
/** Upper-dir directory carries an overlay opaque xattr set to "y". */
export const FLAG_OPAQUE = 1;

// classifyUpper: one class per entry
export const UPPER_KEEP = 0;
export const UPPER_WHITEOUT = 1;
export const UPPER_OPAQUE = 2;
export const UPPER_SKIP = 3;

// classifyUpper: ops, in layer-tar order
/** Write the entry at its own path. */
export const OP_ENTRY = 0;
/** Write an empty OCI whiteout "dir/.wh.name" for the entry "dir/name". */
export const OP_WHITEOUT_OF = 1;
/** The entry is already an OCI whiteout marker: write an empty file at its path. */
export const OP_MARKER = 2;
/** Write an empty OCI opaque marker "<entry path>/.wh..wh..opq" (or ".wh..wh..opq" for index -1, the root). */
export const OP_OPAQUE = 3;

// applyLayer: existing entries
export const EXIST_KEEP = 0;
/** Deleted, and its parent is not: remove it with everything below it. */
export const EXIST_DELETE_ROOT = 1;
/** Deleted because an ancestor is. */
export const EXIST_DELETE_BELOW = 2;

// applyLayer: layer entries
export const LAYER_WRITE = 0;
export const LAYER_WHITEOUT = 1;
export const LAYER_OPAQUE = 2;
/** A marker with no effect: ".wh..wh." metadata other than the opaque marker, or a marker naming "", "." or "..". */
export const LAYER_IGNORED = 3;
/** A later entry of the same layer has the same path. */
export const LAYER_SUPERSEDED = 4;

// diffTrees
export const KIND_ADD = 1;
export const KIND_CHANGE = 2;
export const KIND_DELETE = 3;
/** diffTrees flag: report every ancestor directory of a change as changed, as `docker diff` does. */
export const DIFF_PARENTS = 1;

// Errors (negative return values)
export const ERR_UNSORTED = -1;
export const ERR_UNSORTED_OTHER = -2;

// Scratch the host must provide to classifyUpper, applyLayer and diffTrees:
// SCRATCH_PER_ENTRY bytes per entry (all tables together) plus
// SCRATCH_FIXED bytes, of which the longest path needs at most half.
export const SCRATCH_PER_ENTRY = 16;
export const SCRATCH_FIXED = 65536;
