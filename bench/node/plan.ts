/**
 * What a bench run measures and how much of it: the contenders, the figures, and the sizes of
 * the full and the quick run.
 */

/** The contenders; A_engine is a profile aid, not one of the compared setups. */
export const SUBJECTS = ['A_wal', 'A_rollback', 'A_engine', 'B', 'C', 'D', 'E', 'F', 'G', 'G_idb', 'H'] as const;
export type SubjectId = (typeof SUBJECTS)[number];

export const SUBJECT_LABELS: Record<SubjectId, string> = {
  A_wal: 'A raw WAL',
  A_rollback: 'A raw rollback',
  A_engine: "baton's engine, no hops",
  B: 'B baton leader',
  C: 'C baton follower',
  D: 'D naive opfs',
  E: 'E SQLocal',
  F: 'F wa-sqlite',
  G: 'G PGlite',
  G_idb: 'G PGlite idb',
  H: 'H Dexie',
};

/** The peers, each run in its own pages through the same workloads (bench/isolated/*-page.ts). */
export const PEERS = ['D', 'E', 'F', 'G', 'G_idb', 'H'] as const;
export type PeerId = (typeof PEERS)[number];

export const TAB_COUNTS = [1, 2, 4, 8] as const;

export interface Sizes {
  runs: number;
  /** Single-row writes per latency measurement. */
  writes: number;
  /** Rows put in `items` before the reads. */
  readRows: number;
  reads: number;
  /** Reads while another tab writes, */
  loadedReads: number;
  /** ... or fewer if they take longer than this in all (the naive setup's reads wait seconds). */
  loadedReadsMaxMs: number;
  bulkRows: number;
  bulkChunk: number;
  /** How long the N-tab writers run, per tab count. */
  tabsMs: number;
  pings: number;
  /** A write that takes longer is an error (and stops that tab): sqlite-wasm's busy timeout is 10 s. */
  callTimeoutMs: number;
  /** The large value written and read back from a follower (issue 16, point 4). */
  blobBytes: number;
  /** How long the long read runs while other tabs write (issue 16, point 5). */
  longReadMs: number;
  /** The blob is also read back through a batch (46 s in a run here: left out of the quick run). */
  blobBatchRead: boolean;
  /** Rows of the 100k-row insert for wa-sqlite and Dexie (fewer in the quick run: a rate either way). */
  peerBulkRows: number;
  /** The same for PGlite, which inserts one row per message (its transaction API). */
  slowPeerBulkRows: number;
  /** The peers whose 1- and 8-tab writes are repeated in the slow-flush profile. */
  slowPeers: PeerId[];
  /** How many tabs write at once, for the peers (sqlite-baton always runs TAB_COUNTS). */
  peerTabCounts: readonly number[];
  /** PGlite on IndexedDB (0.3 s per query here) is measured at all. */
  pgliteIdb: boolean;
  /** Probe writes timed to another tab's watch listener, at idle and again under load. */
  liveProbes: number;
  /** Between two probe writes, so each is a commit of its own that the watch can catch up with. */
  liveGapMs: number;
  /** Idle watches open while 8 tabs write (spread over them). */
  idleWatches: number;
}

export const FULL: Sizes = {
  runs: 3,
  writes: 300,
  readRows: 1_000,
  reads: 1_000,
  loadedReads: 300,
  loadedReadsMaxMs: 15_000,
  bulkRows: 100_000,
  bulkChunk: 1_000,
  tabsMs: 3_000,
  pings: 500,
  callTimeoutMs: 15_000,
  blobBytes: 50 * 1024 * 1024,
  longReadMs: 3_000,
  blobBatchRead: true,
  peerBulkRows: 100_000,
  slowPeerBulkRows: 2_000,
  slowPeers: ['F', 'G', 'H'],
  peerTabCounts: TAB_COUNTS,
  pgliteIdb: true,
  liveProbes: 300,
  liveGapMs: 20,
  idleWatches: 100,
};

export const QUICK: Sizes = {
  runs: 1,
  writes: 100,
  readRows: 1_000,
  reads: 300,
  loadedReads: 150,
  loadedReadsMaxMs: 4_000,
  bulkRows: 100_000,
  bulkChunk: 1_000,
  tabsMs: 1_200,
  pings: 200,
  callTimeoutMs: 12_000,
  blobBytes: 50 * 1024 * 1024,
  longReadMs: 3_000,
  blobBatchRead: false,
  peerBulkRows: 10_000,
  slowPeerBulkRows: 1_000,
  slowPeers: ['F', 'H'],
  peerTabCounts: [1, 8],
  pgliteIdb: false,
  liveProbes: 100,
  liveGapMs: 20,
  idleWatches: 100,
};

/** One run's figures: subject -> metric -> value (null: measured but failed). */
export type RunFigures = Partial<Record<SubjectId, Record<string, number | null>>>;

export const PAGES = {
  raw: '/bench/isolated/raw.html',
  baton: '/bench/baton.html',
  /** The same page with COOP/COEP, only for its 5 µs timer. */
  batonIsolated: '/bench/isolated/baton.html',
  naive: '/bench/isolated/naive.html',
  sqlocal: '/bench/isolated/sqlocal.html',
  /** Message round trips alone, no library: the floor under a follower's calls. */
  hop: '/bench/isolated/hop.html',
  wasqlite: '/bench/isolated/wasqlite.html',
  pglite: '/bench/isolated/pglite.html',
  dexie: '/bench/isolated/dexie.html',
} as const;

/** Each peer's page and what its open() is given. */
export const PEER_PAGES: Record<PeerId, { path: string; options: Record<string, unknown> }> = {
  D: { path: PAGES.naive, options: {} },
  E: { path: PAGES.sqlocal, options: {} },
  F: { path: PAGES.wasqlite, options: {} },
  G: { path: PAGES.pglite, options: { storage: 'opfs-ahp' } },
  G_idb: { path: PAGES.pglite, options: { storage: 'idb' } },
  H: { path: PAGES.dexie, options: {} },
};
