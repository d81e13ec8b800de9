/**
 * When to hold the next group back for a moment. Writers that take turns (a tab writes, waits for
 * its answer, writes again) come back shortly after each commit. Starting the next group with the
 * first of them to return makes the others wait a whole commit behind it, and groups fall apart
 * into one and the rest. So when fewer of the last group's writers are waiting than wrote in it,
 * the group waits for them, for at most as long as the last commit took (and never more than
 * MAX_HOLD_MS): a latecomer would otherwise wait that long anyway, behind the commit.
 *
 * A single writer never waits: the hold starts at two writers in the last group.
 */

const MAX_HOLD_MS = 10;

export class Gathering {
  private lastWriters = 0;
  private lastCommitMs = 0;
  private state: 'idle' | 'holding' | 'expired' = 'idle';
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** `wake` runs when a hold ends by time; arrivals re-ask on their own. */
  constructor(private readonly wake: () => void) {}

  /** True to hold the group back now, given how many distinct writers are waiting. */
  hold(waitingWriters: number): boolean {
    if (this.state === 'expired' || this.lastWriters < 2 || waitingWriters >= this.lastWriters) {
      this.reset();
      return false;
    }
    if (this.state === 'idle') {
      this.state = 'holding';
      this.timer = setTimeout(
        () => {
          this.state = 'expired';
          this.wake();
        },
        Math.min(MAX_HOLD_MS, this.lastCommitMs),
      );
    }
    return true;
  }

  /** A group of `writers` distinct writers committed in `ms`. */
  committed(writers: number, ms: number): void {
    this.lastWriters = writers;
    this.lastCommitMs = ms;
  }

  stop(): void {
    this.reset();
  }

  private reset(): void {
    clearTimeout(this.timer);
    this.state = 'idle';
  }
}
