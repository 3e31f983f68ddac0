// The host encodes all of a batch's strings with one encodeInto and records
// each string's place in UTF-16 units, which it knows without encoding.
// For ASCII text units are bytes and nothing more is needed; otherwise this
// one walk over the UTF-8 block turns unit offsets into byte offsets.
import { R_PATH_LEN, R_PATH_PTR } from "../src/core/layout";
import { record } from "./records";

let unitPos: usize = 0;
let bytePos: usize = 0;

/** Advance the walk over the UTF-8 block to unit offset `unit`; returns the byte offset there. */
@inline function seek(block: usize, unit: usize): usize {
  while (unitPos < unit) {
    const b = <u32>load<u8>(block + bytePos);
    // Bytes and UTF-16 units per sequence, by lead byte; a 4-byte sequence is a surrogate pair.
    if (b < 0x80) { bytePos += 1; unitPos += 1; }
    else if (b < 0xe0) { bytePos += 2; unitPos += 1; }
    else if (b < 0xf0) { bytePos += 3; unitPos += 1; }
    else { bytePos += 4; unitPos += 2; }
  }
  return bytePos;
}

/**
 * Rewrite the first `fields` (pointer, length) pairs of `count` records from
 * (block + UTF-16 offset, UTF-16 length) to (block + byte offset, byte length).
 * The strings must appear in the block in record order.
 */
export function utf16ToUtf8(table: usize, count: i32, fields: i32, block: usize): void {
  unitPos = 0;
  bytePos = 0;
  for (let i = 0; i < count; i++) {
    const r = record(table, i);
    for (let f = 0; f < fields; f++) {
      const at = r + (<usize>f << 3);
      const len = <usize>load<u32>(at, R_PATH_LEN);
      if (len == 0) continue;
      const unit = <usize>load<u32>(at, R_PATH_PTR) - block;
      const start = seek(block, unit);
      const end = seek(block, unit + len);
      store<u32>(at, <u32>(block + start), R_PATH_PTR);
      store<u32>(at, <u32>(end - start), R_PATH_LEN);
    }
  }
}
