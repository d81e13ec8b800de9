import { leaderLockName, lockService, peerLockName, type LockHolder } from '../../src/locks.ts';

/**
 * Checks of a control message's claims against the locks, which only the browser (Web Locks) or
 * IndexedDB (leases) keeps: anyone in the origin can post on the control channel, but only a live
 * worker holds a peer lock, and only the leader holds the leader lock. Used for the messages that
 * cannot be proved by a call (a leader of another protocol version cannot be called).
 */

function sameHolder(a: LockHolder, b: LockHolder): boolean {
  if ('holder' in a) return 'holder' in b && a.holder === b.holder;
  return 'clientId' in b && a.clientId === b.clientId;
}

/**
 * True when `peerId` is the worker that holds `db`'s leader lock now. A worker holds its peer lock
 * and the leader lock in the same context, so the two have the same holder (lease) or client id
 * (Web Locks, which name no holder).
 */
export async function holdsLeaderLock(db: string, peerId: string): Promise<boolean> {
  const locks = lockService();
  const [leader, peer] = await Promise.all([locks.heldBy(leaderLockName(db)), locks.heldBy(peerLockName(db, peerId))]);
  if (leader === undefined || peer === undefined) return false;
  if ('holder' in leader) return leader.holder === peerId && sameHolder(leader, peer);
  return sameHolder(leader, peer);
}

/** True when `peerId` is a live worker (or page) of `db`: it holds its liveness lock. */
export async function isLivePeer(db: string, peerId: string): Promise<boolean> {
  return (await lockService().heldBy(peerLockName(db, peerId))) !== undefined;
}
