/**
 * Test-only worker: writes raw bytes into a database's OPFS pool as its main file, the way a
 * damaged or foreign file would end up there. Used to test opening such a file.
 */
import { expose } from 'comlink';
import { DB_FILE, takePool } from '../../worker/engine/opfs-engine.ts';

expose({
  async plant(name: string, bytes: Uint8Array): Promise<void> {
    const pool = await takePool(name);
    try {
      await pool.importDb(DB_FILE, bytes);
    } finally {
      pool.pauseVfs();
    }
  },
});
