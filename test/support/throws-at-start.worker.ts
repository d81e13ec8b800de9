/** Test-only worker: fails at its top level, as a worker script of the wrong build might. */
throw new Error('this worker script failed on purpose');
