import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright';
import { watchProblems } from './consumer-check.ts';
import { startDevServer } from './consumer-workspace.ts';

/**
 * Vite HMR with the package from npm (test/consumers/vite-hmr): the app's `vite` dev server, its
 * page open, then the module that opens the database (src/db.ts) edited, as a developer would.
 * Vite runs that module again; the README's one line (`import.meta.hot?.dispose(() => db.close())`)
 * must leave exactly one worker of this tab alive (its liveness lock is the only one held), and
 * the new handle, now the leader, must read what the old one wrote and write on.
 */
interface HmrApi {
  version: number;
  add(body: string): Promise<void>;
  bodies(): Promise<string[]>;
  role(): Promise<string>;
}
declare global {
  interface Window {
    hmr: HmrApi;
  }
}

/** The tab's workers, by the liveness lock each holds for its life (src/locks.ts `peerLockName`). */
function workerLocks(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const { held = [] } = await navigator.locks.query();
    return held.map((lock) => lock.name ?? '').filter((name) => /^sqlite-baton:hmr\.db:peer:[^~]+~\d+$/.test(name));
  });
}

export async function checkHmr(browser: Browser, dir: string): Promise<void> {
  // A user's app has the package in its own node_modules, inside the folder Vite serves: Vite's
  // pre-bundled copy of the package finds the worker there (a relative URL from node_modules/.vite).
  // The shared install is one folder up, so the package is copied in (its imports still resolve upwards).
  await cp(join(dir, '../node_modules/sqlite-baton'), join(dir, 'node_modules/sqlite-baton'), { recursive: true });
  const server = await startDevServer(dir);
  const context = await browser.newContext();
  const problems = watchProblems(context);
  try {
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => document.body?.dataset.state !== undefined, undefined, { timeout: 60_000 });
    if ((await page.evaluate(() => document.body.dataset.state)) !== 'ready') {
      throw new Error(`the page failed: ${await page.evaluate(() => document.body.innerText)}`);
    }
    await page.evaluate(() => window.hmr.add('version 1'));
    const before = await workerLocks(page);
    if (before.length !== 1) throw new Error(`expected one worker before the edit, found ${before.length}: ${before.join(', ')}`);

    const file = join(dir, 'src/db.ts');
    await writeFile(file, (await readFile(file, 'utf8')).replace('export const version = 1', 'export const version = 2'));
    await page
      .waitForFunction(() => window.hmr.version === 2, undefined, { timeout: 30_000 })
      .catch(() => {
        throw new Error(`the edited module did not replace the old one within 30 s:\n${server.output()}`);
      });

    // The old handle closed before the new module ran (Vite awaits dispose): one worker, leading.
    // One save can reach Vite as two changes, so the module may run twice: wait for it to settle.
    const settled = async (): Promise<{ locks: string[]; role: string }> => {
      const locks = await workerLocks(page);
      const role = await page.evaluate(() => window.hmr.role()).catch((e: unknown) => `unusable (${String(e)})`);
      return { locks, role };
    };
    let after = await settled();
    for (const giveUp = Date.now() + 20_000; after.locks.length !== 1 || after.role !== 'leader'; after = await settled()) {
      if (Date.now() > giveUp) {
        throw new Error(
          `expected only a new worker, leading, after the edit; found ${after.locks.join(', ') || 'none'} (before: ${before[0]}), ` +
            `the handle ${after.role}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (after.locks[0] === before[0]) throw new Error(`the worker from before the edit is still the one: ${before[0]}`);
    await page.evaluate(() => window.hmr.add('version 2'));
    const bodies = await page.evaluate(() => window.hmr.bodies());
    if (bodies.join() !== 'version 1,version 2') throw new Error(`read back ${JSON.stringify(bodies)}`);
  } catch (error) {
    const detail = problems.length > 0 ? `\n  ${problems.join('\n  ')}` : '';
    throw new Error(`${error instanceof Error ? error.message : String(error)}${detail}`, { cause: error });
  } finally {
    await context.close();
    server.stop();
  }
}
