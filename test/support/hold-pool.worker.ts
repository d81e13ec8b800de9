/**
 * Test-only worker: takes a database's OPFS pool (every access handle, as a dying or reloaded
 * tab's worker still would) and lets go after a given time. Opening meanwhile meets
 * NoModificationAllowedError, which the library must retry, bounded, then name.
 */
import { expose } from 'comlink';
import { takePool } from '../../worker/engine/opfs-engine.ts';

expose({
  async hold(name: string, ms: number): Promise<void> {
    const pool = await takePool(name);
    setTimeout(() => pool.pauseVfs(), ms);
  },
});
