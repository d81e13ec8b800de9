/**
 * Library code does not log: failures reach the caller as SqliteError, and nothing from the
 * library or the sqlite-wasm inside it appears on the console, in the page or in its workers.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { useTabs, unique } from '../support/tabs.ts';

const tabs = useTabs({ beforeAll, afterAll });

test('failing statements from a leader and a follower write nothing to the console', async () => {
  const name = unique('quiet');
  const pages = [await tabs().openTab(), await tabs().openTab()];
  const messages: string[] = [];
  for (const page of pages) page.on('console', (m) => messages.push(`${m.type()}: ${m.text()}`));
  for (const page of pages) {
    const codes = await page.evaluate(async (n) => {
      await window.harness.open(n);
      const db = window.db;
      await db.exec('CREATE TABLE IF NOT EXISTS u (x INTEGER UNIQUE)');
      const tries = [
        () => db.run('INSERT INTO u (x) VALUES (1)'),
        () => db.run('INSERT INTO u (x) VALUES (1)'),
        () => db.run('INSERT OR FAIL INTO u (x) VALUES (2), (1)'),
        () => db.exec('INSERT INTO u (x) VALUES (1)'),
        () => db.batch([{ sql: 'INSERT INTO u (x) VALUES (3)' }, { sql: 'INSERT INTO u (x) VALUES (1)' }]),
        () => db.all('SELEC nonsense'),
        () => db.transaction((tx) => tx.run('INSERT INTO u (x) VALUES (1)')),
      ];
      const codes: string[] = [];
      for (const attempt of tries) {
        try {
          await attempt();
          codes.push('ok');
        } catch (e) {
          codes.push((e as { code?: string }).code ?? String(e));
        }
      }
      return codes;
    }, name);
    expect(codes.filter((c) => c !== 'ok').length).toBeGreaterThanOrEqual(6);
  }
  // Give console messages from the workers time to arrive.
  await new Promise((r) => setTimeout(r, 300));
  expect(messages).toEqual([]);
});
