import { HANDOVER_SINCE, protocolVersion, type ControlChannel } from '../../src/channels.ts';
import { PeerWatch } from '../../src/liveness.ts';

/**
 * A leader that speaks another version of the cross-tab protocol (a tab running another release
 * of the library): it cannot be called, only waited out. An older one that knows how
 * (HANDOVER_SINCE) is asked to step down so that this newer worker can lead, and calls wait a
 * while for it; otherwise they reject PROTOCOL_MISMATCH at once, until that leader goes away.
 */

/** How long calls wait for an older leader asked to hand over before they reject PROTOCOL_MISMATCH. */
const HANDOVER_WAIT_MS = 5_000;

export class ForeignLeader {
  /** True once it is not expected to make way: calls reject PROTOCOL_MISMATCH. */
  private blocks: boolean;
  private readonly watch: PeerWatch;
  private readonly timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Starts watching the leader `peerId` (whose claim to lead was checked against the locks) and,
   * if it can, asks it to hand over to `selfId`. `changed` is called when it starts blocking
   * calls, and when it has gone (`gone` true).
   */
  constructor(
    db: string,
    readonly peerId: string,
    readonly version: number,
    epoch: number,
    control: ControlChannel | null,
    selfId: string,
    changed: (gone: boolean) => void,
  ) {
    const makesWay = version >= HANDOVER_SINCE && version < protocolVersion();
    this.blocks = !makesWay;
    this.watch = new PeerWatch(db, peerId, 'the leader of another version went away');
    this.watch.gone.catch(() => changed(true));
    if (makesWay) {
      control?.post({ t: 'handover', from: selfId, to: peerId, epoch });
      this.timer = setTimeout(() => {
        this.blocks = true;
        changed(false);
      }, HANDOVER_WAIT_MS);
    }
  }

  /** Whether calls must reject PROTOCOL_MISMATCH now rather than wait. */
  get blocking(): boolean {
    return this.blocks;
  }

  /** Stops watching it (it went away, or this worker found its own leader). */
  end(): void {
    clearTimeout(this.timer);
    this.watch.end();
  }
}
