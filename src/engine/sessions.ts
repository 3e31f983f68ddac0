import type { Duplex } from "node:stream";

// Attach and exec sessions this process holds (the API server): clients that
// attached to a container before it started — `docker run` attaches first,
// then starts — and the live sessions a resize request must reach. Nothing
// here is stored: a session lives as long as its connection.

interface Waiter {
  deliver(conn: Duplex): void;
}

export class Sessions {
  private waiting = new Map<string, Waiter[]>();
  private live = new Map<string, Set<{ resize(rows: number, cols: number): void }>>();

  /** Wait for `id` to be started by this process; resolves with a connection to its stdio from the first byte. */
  waitForStart(id: string, signal?: AbortSignal): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const w: Waiter = { deliver: resolve };
      const list = this.waiting.get(id) ?? [];
      list.push(w);
      this.waiting.set(id, list);
      signal?.addEventListener("abort", () => {
        this.drop(id, w);
        reject(signal.reason);
      });
    });
  }

  /** Everyone waiting for `id` to start, to be handed a connection (the monitor's first one, or a later one). */
  takeAll(id: string): ((conn: Duplex) => void)[] {
    const list = this.waiting.get(id) ?? [];
    this.waiting.delete(id);
    return list.map((w) => w.deliver);
  }

  private drop(id: string, w: Waiter): void {
    const list = this.waiting.get(id)?.filter((x) => x !== w) ?? [];
    if (list.length) this.waiting.set(id, list);
    else this.waiting.delete(id);
  }

  /** A live session of a container or exec, for resize; returns its removal. */
  register(id: string, s: { resize(rows: number, cols: number): void }): () => void {
    const set = this.live.get(id) ?? new Set();
    set.add(s);
    this.live.set(id, set);
    return () => {
      set.delete(s);
      if (!set.size) this.live.delete(id);
    };
  }

  /** Resize every live session of `id`; false when there is none. */
  resize(id: string, rows: number, cols: number): boolean {
    const set = this.live.get(id);
    if (!set?.size) return false;
    for (const s of set) s.resize(rows, cols);
    return true;
  }
}
