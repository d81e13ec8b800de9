import type { Durability } from '../../src/types.ts';
import { completed, openIndexedDB, requested } from '../../src/idb-requests.ts';

/**
 * Where the IndexedDB engine keeps a database: one IndexedDB database per sqlite-baton database
 * (`sqlite-baton:db:<name>`), holding the SQLite file as one record per page (store `pages`, keyed by
 * the page's index) and two records in store `meta`: `file` (the file's size and page size) and
 * `owner` (the token of the leader that owns the file now).
 *
 * A commit is saved as ONE IndexedDB transaction (the pages it changed, the new size), so it is in
 * IndexedDB whole or not at all. That same transaction reads `owner` and aborts when another
 * leader has claimed the file since: a stale leader (one frozen past its lease, say) can never
 * write. A leader claims the file in the transaction that reads it, so everything saved before the
 * claim is in what it reads, and nothing is saved by the old owner after it.
 *
 * Pages as records (not one record for the whole file): a commit costs the pages it changed, as
 * in wa-sqlite's IndexedDB VFSes; keyed by index, the file reads back in key order with getAll.
 */

const VERSION = 1;
const PAGES = 'pages';
const META = 'meta';

interface FileRecord {
  size: number;
  pageSize: number;
}

interface OwnerRecord {
  token: string;
}

/** The file was claimed by another leader: this one may not write it any more. */
export class StorageTaken extends Error {
  constructor() {
    super('another leader has taken the database over');
    this.name = 'StorageTaken';
  }
}

/** The IndexedDB database name of sqlite-baton database `name`. */
export function storeName(name: string): string {
  return `sqlite-baton:db:${name}`;
}

function createStores(db: IDBDatabase): void {
  if (!db.objectStoreNames.contains(PAGES)) db.createObjectStore(PAGES);
  if (!db.objectStoreNames.contains(META)) db.createObjectStore(META);
}

/** Puts the pages read in key order back together into one file image. */
function assemble(file: FileRecord | undefined, keys: IDBValidKey[], pages: unknown[]): Uint8Array {
  const image = new Uint8Array(file?.size ?? 0);
  if (!file) return image;
  for (let i = 0; i < keys.length; i++) {
    const at = (keys[i] as number) * file.pageSize;
    if (at >= image.byteLength) continue;
    const page = pages[i] as Uint8Array;
    image.set(page.subarray(0, Math.min(page.byteLength, image.byteLength - at)), at);
  }
  return image;
}

export class PageStore {
  /** The file as saved now (known to the owner, which alone saves). */
  private size = 0;
  private pageSize = 0;

  private constructor(private readonly idb: IDBDatabase) {}

  static async open(name: string): Promise<PageStore> {
    return new PageStore(await openIndexedDB(storeName(name), VERSION, createStores));
  }

  /**
   * Claims the file for the leader holding `token` and reads it, in one transaction: from now on a
   * save by any earlier owner aborts. Returns the file's bytes (empty for a new database).
   */
  async claim(token: string): Promise<Uint8Array> {
    const tx = this.idb.transaction([PAGES, META], 'readwrite', { durability: 'strict' });
    const done = completed(tx);
    const meta = tx.objectStore(META);
    const pages = tx.objectStore(PAGES);
    const owner: OwnerRecord = { token };
    meta.put(owner, 'owner');
    const [file, keys, values] = await Promise.all([
      requested(meta.get('file')) as Promise<FileRecord | undefined>,
      requested(pages.getAllKeys()),
      requested(pages.getAll()),
    ]);
    await done;
    this.size = file?.size ?? 0;
    this.pageSize = file?.pageSize ?? 0;
    return assemble(file, keys, values);
  }

  /** The file as saved, without claiming it (maintenance, when no leader has it open). */
  async read(): Promise<Uint8Array> {
    const tx = this.idb.transaction([PAGES, META], 'readonly');
    const [file, keys, values] = await Promise.all([
      requested(tx.objectStore(META).get('file')) as Promise<FileRecord | undefined>,
      requested(tx.objectStore(PAGES).getAllKeys()),
      requested(tx.objectStore(PAGES).getAll()),
    ]);
    return assemble(file, keys, values);
  }

  /** True while the leader holding `token` still owns the file. */
  async owns(token: string): Promise<boolean> {
    const tx = this.idb.transaction(META, 'readonly');
    const owner = (await requested(tx.objectStore(META).get('owner'))) as OwnerRecord | undefined;
    return owner?.token === token;
  }

  /**
   * Saves a commit in one transaction: pages `changed` of the file `image` (`pageSize` bytes each,
   * the file `image.byteLength` long now), and its size. Rejects with StorageTaken, saving nothing,
   * when `token` no longer owns the file; with IndexedDB's error when the transaction fails
   * (QuotaExceededError, ...). Strict durability: `complete` fires once the data is on disk.
   */
  async save(token: string, image: Uint8Array, changed: readonly number[], pageSize: number, durability: Durability): Promise<void> {
    const tx = this.idb.transaction([PAGES, META], 'readwrite', { durability: durability === 'full' ? 'strict' : 'relaxed' });
    const done = completed(tx);
    const meta = tx.objectStore(META);
    const pages = tx.objectStore(PAGES);
    let taken = false;
    const owner = meta.get('owner');
    owner.onsuccess = () => {
      if ((owner.result as OwnerRecord | undefined)?.token === token) return;
      taken = true;
      tx.abort();
    };
    const size = image.byteLength;
    const pageCount = Math.ceil(size / pageSize);
    let writes: Iterable<number> = changed;
    if (pageSize !== this.pageSize) {
      // A VACUUM changed the page size: every record is another size now.
      pages.clear();
      writes = Array.from({ length: pageCount }, (_, i) => i);
    } else if (size < this.size) {
      pages.delete(IDBKeyRange.lowerBound(pageCount));
    }
    // slice: a copy of just the page; a view would make the clone copy all of wasm memory.
    for (const page of writes) pages.put(image.slice(page * pageSize, (page + 1) * pageSize), page);
    const file: FileRecord = { size, pageSize };
    meta.put(file, 'file');
    try {
      await done;
    } catch (e) {
      if (taken) throw new StorageTaken();
      throw e;
    }
    this.size = size;
    this.pageSize = pageSize;
  }

  close(): void {
    this.idb.close();
  }
}

/** Deletes the IndexedDB database of sqlite-baton database `name` (no leader may have it open). */
export async function deleteStore(name: string): Promise<void> {
  await requested(indexedDB.deleteDatabase(storeName(name)));
}
