/**
 * IndexedDB's requests and transactions as promises, for the two parts of the library that use
 * IndexedDB: the page store of the IndexedDB engine (worker/engine/page-store.ts) and the leases
 * that stand in for Web Locks where a context has none (lease-locks.ts).
 */

/** True when this context can use IndexedDB at all. */
export function hasIndexedDB(): boolean {
  return typeof indexedDB === 'object' && indexedDB !== null;
}

/** The value of `request` once it succeeds; its error (a DOMException) if it fails. */
export function requested<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new DOMException('the IndexedDB request failed', 'UnknownError'));
  });
}

/**
 * Resolves once `tx` has committed (its `complete` event: with `durability: 'strict'`, once the
 * data is flushed to disk). Rejects with the transaction's error when it fails, or with an
 * AbortError when the code aborted it on purpose.
 */
export function completed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = (event) => event.preventDefault();
    tx.onabort = () => reject(tx.error ?? new DOMException('the IndexedDB transaction was aborted', 'AbortError'));
  });
}

/**
 * Opens (creating or upgrading) IndexedDB database `name` at `version`, with `upgrade` run on a
 * version change. A connection is closed when another context deletes or upgrades the database, so
 * that it never blocks them.
 */
export function openIndexedDB(name: string, version: number, upgrade: (db: IDBDatabase) => void): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, version);
    request.onupgradeneeded = () => upgrade(request.result);
    request.onsuccess = () => {
      const db = request.result;
      db.onversionchange = () => db.close();
      resolve(db);
    };
    request.onerror = () => reject(request.error ?? new DOMException(`IndexedDB database "${name}" could not be opened`, 'UnknownError'));
    request.onblocked = () => undefined;
  });
}
