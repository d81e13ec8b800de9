import { invalidArgument } from '../../src/errors.ts';
import { checkPackedStatements } from '../../src/batch-wire.ts';
import { checkParams, checkRowMode, checkSql } from '../../src/params.ts';
import { OPS, type Request } from '../../src/protocol.ts';

/**
 * The leader's check of a request from any tab: it cannot trust that a follower's message was
 * built by this library, so shape, ids, deadline and every parameter are checked before the
 * request reaches the writer. Throws INVALID_ARGUMENT.
 */
export function checkRequest(value: unknown): asserts value is Request {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidArgument('a request must be an object');
  const r = value as Record<string, unknown>;
  if (typeof r.op !== 'string' || !(OPS as readonly string[]).includes(r.op)) throw invalidArgument(`unknown op ${String(r.op)}`);
  if (typeof r.requestId !== 'string' || r.requestId.length === 0 || r.requestId.length > 128) {
    throw invalidArgument('requestId must be a non-empty string of at most 128 characters');
  }
  if (typeof r.deadline !== 'number' || !Number.isFinite(r.deadline)) throw invalidArgument('deadline must be a finite number');
  if (r.txId !== undefined && (typeof r.txId !== 'string' || r.txId.length === 0 || r.txId.length > 128)) {
    throw invalidArgument('txId must be a non-empty string of at most 128 characters');
  }
  if (r.queryTimeout !== undefined && !(typeof r.queryTimeout === 'number' && r.queryTimeout > 0 && Number.isFinite(r.queryTimeout))) {
    throw invalidArgument('queryTimeout must be a positive number of milliseconds');
  }
  if (
    r.schemaVersion !== undefined &&
    !(typeof r.schemaVersion === 'number' && Number.isSafeInteger(r.schemaVersion) && r.schemaVersion >= 0)
  ) {
    throw invalidArgument('schemaVersion must be a non-negative integer');
  }
  switch (r.op) {
    case 'exec':
      checkSql(r.sql);
      return;
    case 'run':
    case 'all':
    case 'get':
    case 'snapshot':
      checkSql(r.sql);
      checkParams(r.params);
      return;
    case 'query':
      checkSql(r.sql);
      checkParams(r.params);
      checkRowMode(r.rowMode);
      return;
    case 'batch':
      checkPackedStatements(r.statements);
      checkRowMode(r.rowMode);
      return;
    case 'export':
      return;
    case 'import':
      if (!(r.image instanceof Uint8Array)) throw invalidArgument('import takes the database image as a Uint8Array');
      return;
    default:
      if (r.txId === undefined) throw invalidArgument(`${r.op} needs a txId`);
  }
}
