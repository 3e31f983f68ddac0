// `--time`: the service ends after that many seconds without work, as
// `podman system service` does, so that a socket-activated or hand-started
// service does not linger. Work is a request being answered — including a
// long poll (events, wait, logs --follow) — or a hijacked connection, until
// it closes. A keep-alive connection waiting for its next request is not
// work: clients reconnect (socket activation starts a new service).

export class IdleTracker {
  private active = 0;
  private timer: NodeJS.Timeout | undefined;

  /** `seconds` 0 means never; `onIdle` runs once when the time runs out. */
  constructor(
    private readonly seconds: number,
    private readonly onIdle: () => void,
  ) {
    this.arm();
  }

  /** Something started; the returned function ends it (calling it twice is harmless). */
  begin(): () => void {
    this.active++;
    this.disarm();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.active--;
      if (this.active === 0) this.arm();
    };
  }

  get busy(): boolean {
    return this.active > 0;
  }

  stop(): void {
    this.disarm();
  }

  private arm(): void {
    this.disarm();
    if (this.seconds > 0) this.timer = setTimeout(this.onIdle, this.seconds * 1000);
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
