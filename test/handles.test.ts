import { expect, it } from 'vitest';
import { wrap } from 'comlink';
import { openDatabase, SqliteError } from 'sqlite-baton';
import { open } from './support/open.ts';
import { uniqueName } from './support/unique-name.ts';

/**
 * OPFS access handles still held by someone else (a tab that was just closed or reloaded, in
 * Chrome; Safari reports such errors too): opening retries with backoff for a bounded while,
 * then fails with a named error. Never a hang, never a bare DOMException.
 */

async function holdHandles(name: string, ms: number): Promise<Worker> {
  const worker = new Worker(new URL('./support/hold-pool.worker.ts', import.meta.url), { type: 'module' });
  await wrap<{ hold(name: string, ms: number): Promise<void> }>(worker).hold(name, ms);
  return worker;
}

it('opens once handles held elsewhere are let go', async () => {
  const name = uniqueName('held');
  const holder = await holdHandles(name, 1_500);
  const db = await open({ storage: 'opfs' }, name);
  holder.terminate();
  await db.exec('CREATE TABLE t (x)');
  expect(await db.status()).toMatchObject({ role: 'leader', storage: 'opfs' });
});

it('gives up with OPEN_FAILED when the handles stay held past the retry window', async () => {
  const name = uniqueName('stuck');
  const holder = await holdHandles(name, 60_000);
  const error = await openDatabase(name, { storage: 'opfs' }).catch((e: unknown) => e);
  holder.terminate();
  expect(error).toBeInstanceOf(SqliteError);
  expect((error as SqliteError).code).toBe('OPEN_FAILED');
  // The DOMException's standard name, not its text: Chromium and Firefox word it differently.
  expect((error as SqliteError).message).toMatch(/NoModificationAllowedError/);
}, 30_000);
