/**
 * Consumer tests: the package as a user gets it. `npm pack` (which builds dist/ through
 * `prepack`) installed into the shared install of scripts/consumer-workspace.ts, then each app of
 * scripts/consumer-apps.ts built with its own build command and checked in real Chromium
 * (scripts/consumer-check.ts).
 *
 *   npm run test:consumers                                   # every app
 *   npm run test:consumers -- --only esbuild,static-page
 *   npm run test:consumers -- --package ../old/sqlite-baton-0.1.0.tgz   # another tarball
 *
 * Each app's build output is kept in <work>/<app>/consumer-build.log. Ends with `N passed, N failed`
 * and exits 1 if any app failed.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium } from '../test/support/chromium.ts';
import { CONSUMER_APPS } from './consumer-apps.ts';
import { checkConsumer } from './consumer-check.ts';
import { checkHmr } from './consumer-hmr.ts';
import { checkStartupErrors } from './consumer-startup-errors.ts';
import { installPackage, installTools, prepareApp, run, startNext, tail, work } from './consumer-workspace.ts';
import { serveStatic } from './static-server.ts';

interface Result {
  app: string;
  ok: boolean;
  buildSeconds?: number;
  checkSeconds?: number;
  error?: string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { only: { type: 'string' }, package: { type: 'string' } } });
  const only = values.only?.split(',');
  const apps = CONSUMER_APPS.filter((app) => !only || only.includes(app.name));
  if (apps.length === 0) throw new Error(`no app named ${values.only}; apps: ${CONSUMER_APPS.map((app) => app.name).join(', ')}`);
  console.log(`work directory: ${work}`);
  await installTools();
  await installPackage(values.package);

  const browser = await launchChromium();
  const results: Result[] = [];
  try {
    for (const app of apps) {
      const result: Result = { app: app.name, ok: false };
      results.push(result);
      try {
        const dir = await prepareApp(app);
        if (app.script) {
          const built = await run('npm', ['run', app.script], dir);
          await writeFile(join(dir, 'consumer-build.log'), built.output);
          result.buildSeconds = built.seconds;
          if (built.code !== 0) throw new Error(`npm run ${app.script} failed (exit ${built.code}):\n${tail(built.output)}`);
        }
        const started = performance.now();
        if (app.check === 'hmr') {
          await checkHmr(browser, dir);
        } else if (app.serve === 'vite dev') {
          throw new Error('only the HMR check runs on the dev server');
        } else if (app.serve === 'next start') {
          const next = await startNext(dir);
          try {
            await checkConsumer(browser, next.url);
          } finally {
            next.stop();
          }
        } else {
          const server = await serveStatic(join(dir, app.serve.static));
          try {
            const url = server.origin + app.serve.page;
            await (app.check === 'startup-errors' ? checkStartupErrors(browser, url) : checkConsumer(browser, url));
          } finally {
            await server.close();
          }
        }
        result.checkSeconds = (performance.now() - started) / 1000;
        result.ok = true;
      } catch (error) {
        result.error = error instanceof Error ? error.message : String(error);
      }
      const timing = [
        result.buildSeconds && `build ${result.buildSeconds.toFixed(1)} s`,
        result.checkSeconds && `check ${result.checkSeconds.toFixed(1)} s`,
      ];
      console.log(`${result.ok ? 'ok  ' : 'FAIL'} ${app.name} ${timing.filter(Boolean).join(', ')}`);
      if (result.error) console.log(`     ${result.error.replaceAll('\n', '\n     ')}`);
    }
  } finally {
    await browser.close();
  }
  const failed = results.filter((result) => !result.ok).length;
  console.log(JSON.stringify({ results: results.map(({ error, ...rest }) => ({ ...rest, error: error?.split('\n')[0] })) }));
  console.log(`${results.length - failed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}

await main();
