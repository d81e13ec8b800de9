/**
 * The steps of a commit at which a test ends the leader's worker, to prove that whatever the
 * step, every acknowledged write survives once and no call is left unsettled
 * (test/tabs/crash-points.test.ts, `npm run soak`).
 *
 * The library never installs a hook. A test-only module does (test/support/fault-injection.ts),
 * which the dev server adds to the worker only when a test asks for it (vite.config.ts); the
 * package's entry does not reach this file's setter. Unused, a step costs one check of a module
 * variable that is undefined.
 */
export type CommitStep =
  /** A group: before its BEGIN. A transaction: before its BEGIN IMMEDIATE. */
  | 'before-begin'
  /** A group: after one write's savepoint was released. A transaction: after one of its statements. */
  | 'after-write'
  | 'before-commit'
  /** Inside the storage's sync during COMMIT: the combined writes reached OPFS, the flush has not returned. */
  | 'in-flush'
  /** COMMIT returned (the log was flushed), no caller answered yet. */
  | 'after-flush';

/** What a step belongs to: a group commit, an interactive transaction, or the storage under either. */
export type CommitKind = 'group' | 'transaction' | 'storage';

export type FaultHook = (step: CommitStep, kind: CommitKind) => void;

export let faultHook: FaultHook | undefined;

/** Test-only: installs (or removes) the hook. */
export function setFaultHook(hook: FaultHook | undefined): void {
  faultHook = hook;
}
