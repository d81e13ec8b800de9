/** G: PGlite's multi-tab worker; the tab whose worker wins PGlite's election opens the database. */
import { PGlite } from '@electric-sql/pglite';
import { worker } from '@electric-sql/pglite/worker';

void worker({
  init: (options) => PGlite.create({ dataDir: options.dataDir }),
});
