import type { CopyEvent } from "../image/transport.js";
import { humanSize } from "../gotext/index.js";

// Docker's pull/push/load progress: on a terminal one line per layer,
// redrawn in place with a bar; otherwise one plain line per status change
// (byte counts are left out, as Docker does when not on a terminal).

const BAR = 50;

function bar(current: number, total: number): string {
  const filled = Math.min(BAR, Math.floor((current / total) * BAR));
  const arrow = filled < BAR ? ">" : "";
  return `[${"=".repeat(Math.max(0, filled - (arrow ? 1 : 0)))}${arrow}${" ".repeat(BAR - filled)}]`;
}

export class ProgressPrinter {
  private order: string[] = [];
  private lines = new Map<string, string>();
  private lastStatus = new Map<string, string>();
  private drawn = 0;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly tty = Boolean(process.stdout.isTTY),
  ) {}

  readonly event = (e: CopyEvent): void => {
    if (!e.id) {
      this.message(e.status);
      return;
    }
    if (!this.tty) {
      if (this.lastStatus.get(e.id) === e.status) return;
      this.lastStatus.set(e.id, e.status);
      this.out.write(`${e.id}: ${e.status}\n`);
      return;
    }
    if (!this.lines.has(e.id)) this.order.push(e.id);
    const detail = e.total && e.current !== undefined ? ` ${bar(e.current, e.total)}  ${humanSize(e.current)}/${humanSize(e.total)}` : e.current ? `  ${humanSize(e.current)}` : "";
    this.lines.set(e.id, `${e.id}: ${e.status}${detail}`);
    this.redraw();
  };

  private redraw(): void {
    let s = this.drawn ? `\x1b[${this.drawn}A` : "";
    for (const id of this.order) s += `\x1b[2K${this.lines.get(id)}\n`;
    this.drawn = this.order.length;
    this.out.write(s);
  }

  /** A line outside the layer table (e.g. "Digest: …"). */
  message(text: string): void {
    this.out.write(`${text}\n`);
    this.drawn = 0;
    this.order = [];
    this.lines.clear();
  }
}
