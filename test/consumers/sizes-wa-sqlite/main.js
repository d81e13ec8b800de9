// The smallest app that uses wa-sqlite over OPFS (its synchronous build and OPFSCoopSyncVFS, in a
// worker as that VFS requires): what it ships, next to sqlite-baton's vite-vanilla app.
const worker = new Worker(new URL('./db-worker.js', import.meta.url), { type: 'module' });
worker.onmessage = (event) => (document.getElementById('app').textContent = JSON.stringify(event.data));
