/**
 * Test-only worker: one connection of the leader's in-memory engine, driven step by step, to check
 * what it reports as written (from SQLite's preupdate hook, following savepoints and rollbacks)
 * and as read (from the authorizer) without any tab or queue in between.
 */
import { expose } from 'comlink';
import { openMemoryEngine } from '../../worker/engine/memory-engine.ts';
import type { SqlParams } from '../../src/types.ts';

export type Step =
  /** The user's SQL, one statement (`allowingSavepoints` for SAVEPOINT / RELEASE / ROLLBACK TO). */
  | { query: string; params?: SqlParams }
  | { exec: string }
  /** The library's own transaction control. */
  | { control: string }
  /** The tables written since the last take (what a COMMIT would announce). */
  | { take: true }
  | { snapshot: string };

export type Outcome = { ok: true; value?: unknown } | { ok: false; code: string };

const engine = openMemoryEngine('full');

expose({
  async run(steps: Step[]): Promise<Outcome[]> {
    const conn = (await engine).connection;
    return steps.map((step): Outcome => {
      try {
        if ('query' in step) conn.allowingSavepoints(() => conn.query(step.query, step.params));
        else if ('exec' in step) conn.exec(step.exec);
        else if ('control' in step) conn.control(step.control);
        else if ('take' in step) return { ok: true, value: conn.written.take().sort() };
        else return { ok: true, value: conn.snapshot(step.snapshot, undefined).tables.sort() };
        return { ok: true };
      } catch (e) {
        return { ok: false, code: String((e as { code?: string }).code ?? e) };
      }
    });
  },
});
