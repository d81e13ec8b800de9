/**
 * Browser-mode smoke test (runs inside real Chromium through Vitest browser mode): OPFS is there
 * and usable, and the test page is NOT cross-origin isolated (the library must work without
 * COOP/COEP headers).
 */
import { expect, test } from 'vitest';

test('OPFS: write and read back a small file', async () => {
  const root = await navigator.storage.getDirectory();
  const name = `opfs-smoke-${crypto.randomUUID()}.txt`;
  const handle = await root.getFileHandle(name, { create: true });
  try {
    const writable = await handle.createWritable();
    await writable.write('hello, opfs');
    await writable.close();

    const file = await handle.getFile();
    expect(await file.text()).toBe('hello, opfs');
    expect(file.size).toBe(11);
  } finally {
    await root.removeEntry(name);
  }
  await expect(root.getFileHandle(name)).rejects.toThrow();
});

test('the test page is not cross-origin isolated', () => {
  expect(globalThis.crossOriginIsolated).toBe(false);
});

test('Web Locks are available', async () => {
  const result = await navigator.locks.request('opfs-smoke', async (lock) => lock?.name);
  expect(result).toBe('opfs-smoke');
});
