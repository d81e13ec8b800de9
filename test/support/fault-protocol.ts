/**
 * The messages between test pages and the fault injection in the leader's worker
 * (test/support/fault-injection.ts), on one BroadcastChannel. No code with effects here: pages
 * import this, only workers import the injection.
 */
import type { CommitStep } from '../../worker/fault-hook.ts';

export const FAULT_CHANNEL = 'sqlite-baton-test:faults';

/** A step of worker/fault-hook.ts, or `between-replies`, which the injection counts itself. */
export type ArmedStep = CommitStep | 'between-replies';

export type FaultMessage =
  | { t: 'arm'; db: string; step: ArmedStep; kind: 'group' | 'transaction'; nth: number }
  | { t: 'armed'; db: string; worker: string }
  | { t: 'fired'; db: string; step: ArmedStep; kind: string; nth: number }
  | { t: 'disarm' };
