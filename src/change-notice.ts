import { protocolVersion } from './channels.ts';

/**
 * The change notice: after each commit that changed at least one table, the leader's worker
 * posts the tables it wrote on one BroadcastChannel per database, which every tab's page hears
 * (the leader's own page too: a page and its worker are different contexts).
 *
 * `seq` numbers those commits within one leader's life (`epoch`): 0 when the leader opens (the
 * notice it posts then says so, with no tables), then 1, 2, ... So a page that hears a gap, or a
 * new epoch, knows it may have missed commits; and a live query's read, which is answered with
 * the `seq` it saw, knows which notices it already reflects.
 *
 * Any same-origin script can post on the channel: every field is checked, and a forged notice can
 * at most make a page read again.
 */

export interface ChangeNotice {
  /** The cross-tab protocol version (channels.ts); a notice of another version is not understood. */
  v: number;
  t: 'change';
  epoch: number;
  seq: number;
  tables: string[];
}

/** More tables than any real commit names: a notice beyond it is not one of ours. */
const MAX_TABLES = 100_000;

/** The channel of database `db`'s change notices. */
export function changeChannelName(db: string): string {
  return `sqlite-baton:${db}:changes`;
}

export function changeNotice(epoch: number, seq: number, tables: string[]): ChangeNotice {
  return { v: protocolVersion(), t: 'change', epoch, seq, tables };
}

/** The notice in `data`, or undefined when it is not a well-formed one. */
export function parseChangeNotice(data: unknown): ChangeNotice | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const { v, t, epoch, seq, tables } = data as Record<string, unknown>;
  if (v !== protocolVersion() || t !== 'change') return undefined;
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 1) return undefined;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return undefined;
  if (!Array.isArray(tables) || tables.length > MAX_TABLES || !tables.every((name) => typeof name === 'string')) return undefined;
  return changeNotice(epoch, seq, [...(tables as string[])]);
}
