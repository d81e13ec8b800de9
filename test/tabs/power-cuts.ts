/**
 * Page side of the soak's power cuts: runs test/support/power-cut.worker.ts (the same worker as
 * test/power-cuts.test.ts) and hands its report to Playwright.
 */
import { wrap } from 'comlink';
import type { PowerCutOptions, PowerCutReport } from '../support/power-cut.worker.ts';

declare global {
  interface Window {
    __harnessReady?: boolean;
    powerCuts: { run(options: PowerCutOptions): Promise<PowerCutReport> };
  }
}

window.powerCuts = {
  async run(options) {
    const worker = new Worker(new URL('../support/power-cut.worker.ts', import.meta.url), { type: 'module' });
    try {
      return await wrap<{ run(options: PowerCutOptions): Promise<PowerCutReport> }>(worker).run(options);
    } finally {
      worker.terminate();
    }
  },
};
window.__harnessReady = true;
