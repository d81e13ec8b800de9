/**
 * Page side of the protocol skew tests: an older release of the library, imported from the
 * folder `?lib=` names (its sources as `git archive` gave them, served by the dev server), with
 * just what the tests need of its API. Nothing of the current library is loaded in this page.
 */

/** The part of an old release's API these tests use. */
interface LegacyDatabase {
  exec(sql: string): Promise<void>;
  run(sql: string, params?: unknown[]): Promise<unknown>;
  all(sql: string): Promise<unknown[]>;
  status(): Promise<{ role: string }>;
  close(): Promise<void>;
}
interface LegacyLibrary {
  openDatabase(name: string, options?: { lockTimeout?: number }): Promise<LegacyDatabase>;
}

let db: LegacyDatabase | undefined;

const legacy = {
  opening: undefined as Promise<string> | undefined,
  /** Starts opening `name` (an old tab may wait for a leader it cannot hear); `opening` says how it went. */
  startOpening(name: string, lockTimeout?: number): void {
    legacy.opening = library.openDatabase(name, lockTimeout ? { lockTimeout } : undefined).then(
      (opened) => {
        db = opened;
        return 'opened';
      },
      (e: unknown) => `failed: ${(e as { code?: string }).code ?? String(e)}`,
    );
  },
  exec: (sql: string) => db!.exec(sql),
  run: (sql: string) => db!.run(sql),
  all: (sql: string) => db!.all(sql),
  status: () => db!.status(),
  close: () => db!.close(),
};

declare global {
  interface Window {
    __harnessReady?: boolean;
    __harnessError?: string;
    legacy: typeof legacy;
  }
}

let library: LegacyLibrary;
try {
  const folder = new URLSearchParams(location.search).get('lib');
  if (!folder) throw new Error('legacy-harness.html needs ?lib=<folder of the old sources>');
  library = (await import(/* @vite-ignore */ `/@fs${folder}/src/index.ts`)) as LegacyLibrary;
  window.legacy = legacy;
  window.__harnessReady = true;
} catch (error) {
  window.__harnessError = String(error);
}

export {};
