/**
 * Page side of the multi-tab tests: one of these runs in every tab that test/support/tabs.ts
 * opens. Tests drive it with `page.evaluate(...)` and wait for `window.__harnessReady === true`.
 */

// ---------------------------------------------------------------------------------------------
// LIBRARY HOOK: once src/index.ts exists, import the library here and expose what the tests need:
//
//   import { openDatabase } from 'sqlite-baton';
//   window.baton = { openDatabase };
//
// (and add `baton` to the Window declaration below).
// ---------------------------------------------------------------------------------------------

declare global {
  interface Window {
    __harnessReady?: boolean;
    __harnessError?: string;
  }
}

function check(): void {
  if (!('locks' in navigator) || typeof navigator.locks.request !== 'function') {
    throw new Error('Web Locks API (navigator.locks) is missing');
  }
  if (typeof navigator.storage?.getDirectory !== 'function') {
    throw new Error('OPFS (navigator.storage.getDirectory) is missing');
  }
}

try {
  check();
  window.__harnessReady = true;
} catch (error) {
  window.__harnessError = String(error);
  console.error(`harness not ready: ${String(error)}`);
}

export {};
