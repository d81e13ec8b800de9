import { leaderLockName, peerLockName } from '../../src/locks.ts';

/**
 * Checks of a control message's claims against the Web Locks, which only the browser can grant:
 * anyone in the origin can post on the control channel, but only a live worker holds a peer lock,
 * and only the leader holds the leader lock. A worker holds both in the same context, so the two
 * locks of the leader have the same `clientId`. Used for the messages that cannot be proved by a
 * call (a leader of another protocol version cannot be called).
 */

async function heldLocks(): Promise<LockInfo[]> {
  const { held = [] } = await navigator.locks.query();
  return held;
}

/** True when `peerId` is the worker that holds `db`'s leader lock now. */
export async function holdsLeaderLock(db: string, peerId: string): Promise<boolean> {
  const held = await heldLocks();
  const leader = held.find((lock) => lock.name === leaderLockName(db));
  const peer = held.find((lock) => lock.name === peerLockName(db, peerId));
  return leader !== undefined && peer !== undefined && leader.clientId !== undefined && leader.clientId === peer.clientId;
}

/** True when `peerId` is a live worker (or page) of `db`: it holds its liveness lock. */
export async function isLivePeer(db: string, peerId: string): Promise<boolean> {
  return (await heldLocks()).some((lock) => lock.name === peerLockName(db, peerId));
}
