import { SqliteError } from '../src/errors.ts';
import type { OpenInfo, Reply, Request, Status, WorkerConfig, WorkerEvent } from '../src/protocol.ts';
import { openMemoryEngine } from './memory-engine.ts';
import { openOpfsEngine, opfsProblem } from './opfs-engine.ts';
import { Peer } from './peer.ts';

/**
 * What a page calls on its own worker, over comlink. It never touches `self`: the entry file
 * wires it to the worker's message port, and tests can drive it directly.
 */
export function createWorkerApi(exit: () => void) {
  let peer: Peer | undefined;

  function joined(): Peer {
    if (!peer) throw new SqliteError('DATABASE_CLOSED', 'the database is not open');
    return peer;
  }

  return {
    /** Decides the storage, joins the election (OPFS) and resolves once this worker can serve. */
    async open(config: WorkerConfig & { peerId: string }, onEvent: (event: WorkerEvent) => void): Promise<OpenInfo> {
      if (peer) throw new SqliteError('INVALID_ARGUMENT', 'this worker already has a database open');
      const problem = config.storage === 'memory' ? undefined : opfsProblem();
      if (problem !== undefined && config.storage === 'opfs') {
        throw new SqliteError('OPFS_UNAVAILABLE', `storage 'opfs' was asked for but OPFS cannot be used: ${problem}`);
      }
      const memory = config.storage === 'memory' || problem !== undefined;
      const openEngine = memory
        ? () => openMemoryEngine(config.durability)
        : () => openOpfsEngine(config.name, config.durability);
      peer = await Peer.join(config, openEngine, !memory, (event) => void onEvent(event), exit);
      return problem === undefined ? { storage: memory ? 'memory' : 'opfs' } : { storage: 'memory', fallbackReason: problem };
    },

    /** One call of the public API; retried across leader changes inside the peer. */
    call(request: Request): Promise<Reply> {
      return joined().route(request);
    },

    status(): Promise<Status> {
      return joined().status();
    },

    /** Closes the engine (if leading) and releases every lock this worker holds. */
    close(): void {
      peer?.close();
    },
  };
}

/** The page's view of its worker, derived from the implementation so the two cannot drift. */
export type WorkerApi = ReturnType<typeof createWorkerApi>;
