// The host's view of one core.wasm instance's linear memory:
//
//   heapBase ─ SHA-256 context slots ─ arena ─────────────── end of memory
//
// Context slots live as long as their hash; the table only ever grows at
// its end, so a context never moves. The arena above it belongs to one
// batch call at a time (calls are synchronous), so its start may move
// whenever the slot table grows.
import { SHA256_CONTEXT_SIZE } from "./layout.js";
import { type CoreExports, instantiateCore } from "./module.js";

const PAGE = 65536;
const INITIAL_SLOTS = 64;
const MAX_MEMORY = 65536 * PAGE;

export class CoreMemory {
  readonly exports: CoreExports;
  private readonly slotBase: number;
  private slotCount = 0;
  private readonly free: number[] = [];
  private arenaBase = 0;
  private views: { buffer: ArrayBuffer; u8: Uint8Array; u32: Uint32Array; i32: Int32Array; f64: Float64Array } | undefined;

  constructor(exports: CoreExports = instantiateCore()) {
    this.exports = exports;
    this.slotBase = align(exports.heapBase(), 64);
    this.growSlots(INITIAL_SLOTS);
  }

  /** A SHA-256 context slot (not yet initialised). */
  allocContext(): number {
    if (this.free.length === 0) this.growSlots(this.slotCount);
    return this.free.pop()!;
  }

  freeContext(ctx: number): void {
    this.free.push(ctx);
  }

  /** Start of an arena of at least `bytes` bytes, valid until the next call that allocates. */
  arena(bytes: number): number {
    this.ensure(this.arenaBase + bytes + 64);
    return this.arenaBase;
  }

  get u8(): Uint8Array { return this.view().u8; }
  get u32(): Uint32Array { return this.view().u32; }
  get i32(): Int32Array { return this.view().i32; }
  get f64(): Float64Array { return this.view().f64; }

  private view() {
    const buffer = this.exports.memory.buffer;
    // Growing memory detaches the old buffer, so views are remade when it changes.
    let views = this.views;
    if (views?.buffer !== buffer) {
      views = { buffer, u8: new Uint8Array(buffer), u32: new Uint32Array(buffer), i32: new Int32Array(buffer), f64: new Float64Array(buffer) };
      this.views = views;
    }
    return views;
  }

  private growSlots(more: number): void {
    const first = this.slotBase + this.slotCount * SHA256_CONTEXT_SIZE;
    this.slotCount += more;
    this.arenaBase = align(this.slotBase + this.slotCount * SHA256_CONTEXT_SIZE, 64);
    this.ensure(this.arenaBase);
    // Hand out low addresses first.
    for (let i = more - 1; i >= 0; i--) this.free.push(first + i * SHA256_CONTEXT_SIZE);
  }

  private ensure(bytes: number): void {
    const memory = this.exports.memory;
    const have = memory.buffer.byteLength;
    if (bytes <= have) return;
    // Grow geometrically so that a growing workload does not grow page by page
    // (but never past wasm32's 4 GiB).
    const want = Math.min(Math.max(bytes, have * 1.5), MAX_MEMORY);
    memory.grow(Math.ceil((want - have) / PAGE));
  }
}

function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

let shared: CoreMemory | undefined;

/** This thread's core.wasm instance, created on first use. */
export function coreMemory(): CoreMemory {
  shared ??= new CoreMemory();
  return shared;
}
