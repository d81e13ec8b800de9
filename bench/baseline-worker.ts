/**
 * sqlite-baton's worker with the remedies of issue 16 points 4 and 5 turned off, for the "before"
 * rows of the same bench run: large values copied inside the messages between tabs (no Blobs),
 * and every read on the leader's one connection (no reader worker). Everything else is the
 * library's own worker; the switches are read when a message is sent or a read runs, so turning
 * them off after the entry module ran is in time.
 */
import '../worker/entry.ts';
import { copyLargeValues } from '../src/large-values.ts';
import { keepReadsOnLeader } from '../worker/reader/read-handoff.ts';

copyLargeValues();
keepReadsOnLeader();
