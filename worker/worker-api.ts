import { transfer } from 'comlink';
import { speakProtocolVersion } from '../src/channels.ts';
import { SqliteError } from '../src/errors.ts';
import { leaderLockName } from '../src/locks.ts';
import type { OpenInfo, Reply, Request, WorkerConfig, WorkerEvent } from '../src/protocol.ts';
import type { WorkerStatus as Status } from '../src/protocol.ts';
import { Election } from './cluster/election.ts';
import { Router } from './cluster/router.ts';
import { openMemoryEngine } from './engine/memory-engine.ts';
import { maintainOpfsFile, openOpfsEngine, opfsProblem } from './engine/opfs-engine.ts';

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
    /** Decides the storage, joins the election (OPFS) and resolves once this worker can serve. */
    async open(config: WorkerConfig & { peerId: string }): Promise<OpenInfo> {
      if (router) throw new SqliteError('INVALID_ARGUMENT', 'this worker already has a database open');
      // The page's version: the same build unless a test claims another (channels.ts).
      if (Number.isSafeInteger(config.protocolVersion) && config.protocolVersion > 0) speakProtocolVersion(config.protocolVersion);
      const problem = config.storage === 'memory' ? undefined : await opfsProblem();
      if (problem !== undefined && config.storage === 'opfs') {
        throw new SqliteError('OPFS_UNAVAILABLE', `storage 'opfs' was asked for but OPFS cannot be used: ${problem}`);
      }
      const memory = config.storage === 'memory' || problem !== undefined;
      const openEngine = memory ? () => openMemoryEngine(config.durability) : () => openOpfsEngine(config.name, config.durability);
      const election = await Election.join(config, openEngine, !memory, toPage, exit);
      router = new Router(election);
      const info: OpenInfo =
        problem === undefined ? { storage: memory ? 'memory' : 'opfs' } : { storage: 'memory', fallbackReason: problem };
      const leaderProtocol = election.mismatch;
      return leaderProtocol === undefined ? info : { ...info, leaderProtocol };
    },

    /**
     * One call of the public API; retried across leader changes by the router. `retried`: the page
     * sent it before, to a worker that died, so it may have reached a leader.
     */
    async call(request: Request, retried = false): Promise<Reply> {
      const reply = await joined().route(request, retried);
      // A database image can be large: hand its buffer over instead of copying it.
      return reply instanceof Uint8Array ? transfer(reply, [reply.buffer]) : reply;
    },

    /**
     * Reads or deletes the file of a database that no tab has open (one SQLite cannot open, for
     * instance). Takes the leader lock first, so it never pulls the file from under a leader.
     */
    async maintain(name: string, action: 'read' | 'delete', lockTimeout: number): Promise<Uint8Array | undefined> {
      const problem = await opfsProblem();
      if (problem !== undefined) throw new SqliteError('OPFS_UNAVAILABLE', `OPFS cannot be used: ${problem}`);
      try {
        const bytes = await navigator.locks.request(leaderLockName(name), { signal: AbortSignal.timeout(lockTimeout) }, () =>
          maintainOpfsFile(name, action),
        );
        return bytes ? transfer(bytes, [bytes.buffer]) : undefined;
      } catch (e) {
        if ((e as { name?: string }).name === 'TimeoutError') {
          throw new SqliteError('LOCK_TIMEOUT', `"${name}" is open in a tab: close it everywhere first, or use db.export() / db.import()`);
        }
        throw e;
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
