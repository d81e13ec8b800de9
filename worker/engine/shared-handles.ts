/**
 * Access handles that a second worker of the leader can open too.
 *
 * opfs-sahpool opens every file of its pool in the default 'readwrite' mode, which is exclusive:
 * no other worker can open the database file at all, so every read, however long, runs in the
 * leader's thread and every other tab waits for it. Chromium (121 and later) also has
 * 'readwrite-unsafe', which any number of handles share; checked here (Chromium 153): two
 * 'readwrite-unsafe' handles on one file open side by side, while 'readwrite' and 'read-only'
 * conflict with every other mode. The leader opens its pool that way, so that its reader worker
 * (worker/reader/) can read the file while the leader writes.
 *
 * What exclusivity gave, that a second leader cannot take the pool while the first holds it, is
 * kept by a fence: one file beside the pool, held in 'readwrite' mode by whoever holds the pool
 * and taken before it. Tabs of older releases open the pool in 'readwrite' mode and still meet
 * the shared handles as a conflict.
 */

/** The fence beside a pool's files (opfs-sahpool keeps them in its `.opaque` folder). */
const FENCE_FILE = 'fence';

/** True where access handles have modes (Chromium 121+); elsewhere the pool stays exclusive. */
export function sharedHandlesSupported(): boolean {
  return typeof FileSystemSyncAccessHandle !== 'undefined' && 'mode' in FileSystemSyncAccessHandle.prototype;
}

/** The OPFS folder at `path` (segments separated by `/`), created if missing. */
export async function opfsDirectory(path: string): Promise<FileSystemDirectoryHandle> {
  let dir = await navigator.storage.getDirectory();
  for (const segment of path.split('/').filter(Boolean)) dir = await dir.getDirectoryHandle(segment, { create: true });
  return dir;
}

type HandleOptions = { mode?: 'readwrite' | 'read-only' | 'readwrite-unsafe' };
type CreateHandle = (this: FileSystemFileHandle, options?: HandleOptions) => Promise<FileSystemSyncAccessHandle>;

/** Opens `handle` in a given mode (the DOM types here predate modes). */
export function openHandle(handle: FileSystemFileHandle, mode: NonNullable<HandleOptions['mode']>): Promise<FileSystemSyncAccessHandle> {
  return (handle.createSyncAccessHandle as CreateHandle).call(handle, { mode });
}

/** Takes the fence of the pool in `directory`: fails (NoModificationAllowedError) while another worker holds it. */
export async function takeFence(directory: string): Promise<FileSystemSyncAccessHandle> {
  const dir = await opfsDirectory(directory);
  return openHandle(await dir.getFileHandle(FENCE_FILE, { create: true }), 'readwrite');
}

/**
 * Runs `open` (opfs-sahpool's install or unpause, which open the pool's handles with no options)
 * with 'readwrite-unsafe' as the default mode of this worker's access handles.
 */
export async function withSharedHandles<T>(open: () => Promise<T>): Promise<T> {
  const proto = FileSystemFileHandle.prototype as unknown as { createSyncAccessHandle: CreateHandle };
  const original = proto.createSyncAccessHandle;
  proto.createSyncAccessHandle = function (this: FileSystemFileHandle, options?: HandleOptions) {
    return original.call(this, options ?? { mode: 'readwrite-unsafe' });
  };
  try {
    return await open();
  } finally {
    proto.createSyncAccessHandle = original;
  }
}
