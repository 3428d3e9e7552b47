/**
 * A clock a test steps by hand. Code with an injectable `now` (the emulators' LRO and
 * ttl, the breakers' recovery) runs on it, so a test says "80 ms later" without waiting
 * 80 ms and without losing the race against a busy machine.
 */
export class ManualClock {
  private at: number;

  constructor(start = Date.now()) {
    this.at = start;
  }

  /** Pass this where code takes a clock. */
  readonly now = (): number => this.at;

  advance(ms: number): void {
    this.at += ms;
  }
}
