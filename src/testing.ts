/**
 * `sqlite-baton/testing`: fault injection for tests and demos, kept out of the Database API.
 * Nothing here is needed to use the library.
 */
import { internalRouter, type Database } from './database.ts';

/**
 * Ends this tab's worker the hard way, as a crash would: calls in flight and the next call go
 * by the library's rules for a dead worker (retried on a new worker, or TRANSACTION_ABORTED).
 */
export function terminateWorker(db: Database): Promise<void> {
  return internalRouter(db).worker.terminate();
}

/**
 * `false` sends this tab's calls through its own worker even when the page could reach the leader
 * directly (tests of the forwarded path); `true` (the default) lets them go direct again.
 */
export function allowDirectPath(db: Database, allowed: boolean): void {
  internalRouter(db).directAllowed = allowed;
}
