import { SqliteError } from '../../src/errors.ts';

/**
 * At the quota limit Chromium's sync access handles make short writes instead of throwing, so
 * SQLite reports a bare I/O error. After such an error, the leader asks the storage itself: the
 * estimate (real quotas), and a small probe write (which also sees quotas imposed otherwise, as
 * DevTools' quota override does). If storage is out of room, the error becomes QUOTA_EXCEEDED.
 */

const PROBE_BYTES = 1024 * 1024;
const PROBE_NAME = '.sqlite-baton-quota-probe';

async function probeFails(): Promise<boolean> {
  const root = await navigator.storage.getDirectory();
  try {
    const handle = await root.getFileHandle(PROBE_NAME, { create: true });
    const access = await handle.createSyncAccessHandle();
    try {
      return access.write(new Uint8Array(PROBE_BYTES), { at: 0 }) < PROBE_BYTES;
    } finally {
      access.close();
    }
  } catch (e) {
    return (e as { name?: string }).name === 'QuotaExceededError';
  } finally {
    await root.removeEntry(PROBE_NAME).catch(() => undefined);
  }
}

async function storageFull(): Promise<boolean> {
  const { usage = 0, quota = Number.POSITIVE_INFINITY } = await navigator.storage.estimate();
  if (quota - usage < PROBE_BYTES) return true;
  return probeFails();
}

/** Rethrows `error`, as QUOTA_EXCEEDED when it is an I/O error caused by a full origin. */
export async function explainStorageError(error: unknown): Promise<never> {
  const code = error instanceof SqliteError ? (error.code as string) : '';
  if ((code.startsWith('SQLITE_IOERR') || code === 'SQLITE_FULL') && typeof navigator.storage?.getDirectory === 'function') {
    if (await storageFull().catch(() => false)) {
      throw new SqliteError(
        'QUOTA_EXCEEDED',
        "the origin's storage quota is used up; this write applied nothing",
        (error as SqliteError).resultCode,
      );
    }
  }
  throw error;
}
