// Streaming SHA-256 (FIPS 180-4) with any number of independent contexts.
// A context is SHA256_CONTEXT_SIZE bytes of linear memory that the host owns
// (src/core/memory.ts hands out the slots); the layout is in
// src/core/layout.ts. The host copies 64 KiB–1 MiB of input into linear
// memory and makes one update call per chunk.
import {
  SHA256_BUFFER, SHA256_BUFFERED, SHA256_STATE, SHA256_TOTAL,
} from "../src/core/layout";
import { compressBlocks } from "./sha256-compress";

/** Reset the context at `ctx` to the initial hash value (FIPS 180-4 §5.3.3). */
export function sha256Init(ctx: usize): void {
  const s = ctx + SHA256_STATE;
  store<u32>(s, 0x6a09e667, 0); store<u32>(s, 0xbb67ae85, 4);
  store<u32>(s, 0x3c6ef372, 8); store<u32>(s, 0xa54ff53a, 12);
  store<u32>(s, 0x510e527f, 16); store<u32>(s, 0x9b05688c, 20);
  store<u32>(s, 0x1f83d9ab, 24); store<u32>(s, 0x5be0cd19, 28);
  store<u32>(ctx, 0, SHA256_BUFFERED);
  store<u64>(ctx, 0, SHA256_TOTAL);
}

/** Feed `len` bytes at `ptr` into the context at `ctx`. */
export function sha256Update(ctx: usize, ptr: usize, len: usize): void {
  if (len == 0) return;
  store<u64>(ctx, load<u64>(ctx, SHA256_TOTAL) + <u64>len, SHA256_TOTAL);
  const buffer = ctx + SHA256_BUFFER;
  let buffered = <usize>load<u32>(ctx, SHA256_BUFFERED);
  if (buffered > 0) {
    const take = min<usize>(64 - buffered, len);
    memory.copy(buffer + buffered, ptr, take);
    buffered += take; ptr += take; len -= take;
    if (buffered < 64) {
      store<u32>(ctx, <u32>buffered, SHA256_BUFFERED);
      return;
    }
    compressBlocks(ctx + SHA256_STATE, buffer, 1);
    buffered = 0;
  }
  const blocks = len >> 6;
  if (blocks > 0) compressBlocks(ctx + SHA256_STATE, ptr, blocks);
  const rest = len & 63;
  if (rest > 0) memory.copy(buffer, ptr + (blocks << 6), rest);
  store<u32>(ctx, <u32>rest, SHA256_BUFFERED);
}

/** Finish the context at `ctx` and write the 32-byte digest to `out`. The context must be re-initialised before reuse. */
export function sha256Final(ctx: usize, out: usize): void {
  const buffer = ctx + SHA256_BUFFER;
  let buffered = <usize>load<u32>(ctx, SHA256_BUFFERED);
  const bits = load<u64>(ctx, SHA256_TOTAL) << 3;
  // Padding (FIPS 180-4 §5.1.1): a 1 bit, zeros, then the length in bits as a big-endian u64.
  store<u8>(buffer + buffered, 0x80);
  buffered++;
  if (buffered > 56) {
    memory.fill(buffer + buffered, 0, 64 - buffered);
    compressBlocks(ctx + SHA256_STATE, buffer, 1);
    buffered = 0;
  }
  memory.fill(buffer + buffered, 0, 56 - buffered);
  store<u64>(buffer, bswap<u64>(bits), 56);
  compressBlocks(ctx + SHA256_STATE, buffer, 1);
  const s = ctx + SHA256_STATE;
  for (let i: usize = 0; i < 32; i += 4) store<u32>(out + i, bswap<u32>(load<u32>(s + i)));
}
