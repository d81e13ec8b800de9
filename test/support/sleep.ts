/**
 * Waits `ms` milliseconds (0 for a negative number). The one copy for tests, scripts and bench
 * pages; plain erasable TypeScript, so Node runs it as is and Vite serves it to pages and workers.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
