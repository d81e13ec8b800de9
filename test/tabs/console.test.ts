/**
 * Library code does not log: failures reach the caller as SqliteError, and nothing from the
 * library or the sqlite-wasm inside it appears on the console, in the page or in its workers.
 * The console listener is first shown to hear a worker of the tab (a probe worker logs once), so
 * an empty list afterwards means the library's workers said nothing, in either engine.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { sleep } from '../support/sleep.ts';
import { useTabs } from '../support/tabs.ts';
import { uniqueName } from '../support/unique-name.ts';

const tabs = useTabs({ beforeAll, afterAll });

test('failing statements from a leader and a follower write nothing to the console', async () => {
  const name = uniqueName('quiet');
  const pages = [await tabs().openTab(), await tabs().openTab()];
  const messages: string[] = [];
  const stops = pages.map((page) => page.onConsole((type, text) => messages.push(`${page.label} ${type}: ${text}`)));
  for (const page of pages) {
    const probe = `probe from a worker of ${page.label}`;
    await page.evaluate((text) => {
      const source = `console.log(${JSON.stringify(text)}); close();`;
      new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
    }, probe);
    const giveUp = Date.now() + 10_000;
    while (!messages.some((m) => m.endsWith(probe)) && Date.now() < giveUp) await sleep(50);
    expect(messages).toEqual([`${page.label} log: ${probe}`]);
    messages.length = 0;
  }
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
  await sleep(300);
  for (const stop of stops) stop();
  expect(messages).toEqual([]);
});
