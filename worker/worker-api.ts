import { transfer } from 'comlink';
import { speakProtocolVersion } from '../src/channels.ts';
import { SqliteError } from '../src/errors.ts';
import { randomId } from '../src/ids.ts';
import { transferableBuffers } from '../src/large-values.ts';
import { leaderLockName, lockService } from '../src/locks.ts';
import type { OpenInfo, Reply, Request, WorkerConfig, WorkerEvent } from '../src/protocol.ts';
import type { WorkerStatus as Status } from '../src/protocol.ts';
import { Election } from './cluster/election.ts';
import { Router } from './cluster/router.ts';
import type { Engine } from './engine/engine.ts';
import { maintainIndexedDBFile, openIndexedDBEngine } from './engine/indexeddb-engine.ts';
import { openMemoryEngine } from './engine/memory-engine.ts';
import { maintainOpfsFile, openOpfsEngine } from './engine/opfs-engine.ts';
import { chooseStorage } from './engine/storage-choice.ts';

/**
 * What a page calls on its own worker, over comlink. It never touches `self`: the entry file
 * wires it to the worker's message port, and tests can drive it directly.
 */
export function createWorkerApi(exit: () => void, toPage: (event: WorkerEvent) => void) {
  let router: Router | undefined;

  function joined(): Router {
    if (!router) throw new SqliteError('DATABASE_CLOSED', 'the database is not open');
    return router;
  }

  return {
    /** Decides the storage, joins the election (unless private) and resolves once this worker can serve. */
    async open(config: WorkerConfig & { peerId: string }): Promise<OpenInfo> {
      if (router) throw new SqliteError('INVALID_ARGUMENT', 'this worker already has a database open');
      // The page's version: the same build unless a test claims another (channels.ts).
      if (Number.isSafeInteger(config.protocolVersion) && config.protocolVersion > 0) speakProtocolVersion(config.protocolVersion);
      const choice = await chooseStorage(config.storage);
      const { name, durability } = config;
      const openEngine: () => Promise<Engine> =
        choice.storage === 'opfs'
          ? () => openOpfsEngine(name, durability)
          : choice.storage === 'indexeddb'
            ? () => openIndexedDBEngine(name, durability)
            : () => openMemoryEngine(durability);
      const election = await Election.join(config, openEngine, choice.storage !== 'memory', toPage, exit);
      router = new Router(election, choice.storage);
      const leaderProtocol = election.mismatch;
      return leaderProtocol === undefined ? choice : { ...choice, leaderProtocol };
    },

    /**
     * One call of the public API; retried across leader changes by the router. `retried`: the page
     * sent it before, to a worker that died, so it may have reached a leader.
     */
    async call(request: Request, retried = false): Promise<Reply> {
      const reply = await joined().route(request, retried);
      // A database image or a large value: hand its buffer over instead of copying it.
      if (reply instanceof Uint8Array) return transfer(reply, [reply.buffer]);
      const buffers = transferableBuffers(reply);
      return buffers.length > 0 ? transfer(reply, buffers) : reply;
    },

    /**
     * Reads or deletes the file of a database that no tab has open (one SQLite cannot open, for
     * instance), where `storage` keeps it. Takes the leader lock first, so it never pulls the file
     * from under a leader.
     */
    async maintain(
      name: string,
      action: 'read' | 'delete',
      lockTimeout: number,
      storage: 'auto' | 'opfs' | 'indexeddb' = 'auto',
    ): Promise<Uint8Array | undefined> {
      const where = (await chooseStorage(storage)).storage;
      let done!: () => void;
      const finished = new Promise<void>((resolve) => (done = resolve));
      try {
        await lockService().hold(leaderLockName(name), `maintenance~${randomId(8)}`, finished, {
          signal: AbortSignal.timeout(lockTimeout),
        });
        const bytes = where === 'opfs' ? await maintainOpfsFile(name, action) : await maintainIndexedDBFile(name, action);
        return bytes ? transfer(bytes, [bytes.buffer]) : undefined;
      } catch (e) {
        if ((e as { name?: string }).name === 'TimeoutError') {
          throw new SqliteError('LOCK_TIMEOUT', `"${name}" is open in a tab: close it everywhere first, or use db.export() / db.import()`);
        }
        throw e;
      } finally {
        done();
        // The page ends this worker next: leases must be released first, not left to lapse.
        await lockService().letGo(leaderLockName(name));
      }
    },

    status(): Promise<Status> {
      return joined().status();
    },

    /** Closes the engine (if leading) and releases every lock this worker holds. */
    async close(): Promise<void> {
      await router?.close();
    },
  };
}

/** The page's view of its worker, derived from the implementation so the two cannot drift. */
export type WorkerApi = ReturnType<typeof createWorkerApi>;
