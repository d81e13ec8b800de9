import { forEachStatement, packResults, type StatementResult } from '../../src/batch-wire.ts';
import { SqliteError } from '../../src/errors.ts';
import type { Reply, Request } from '../../src/protocol.ts';
import type { Connection } from '../engine/connection.ts';

/**
 * Applying one request to the connection: the statements of its op under its queryTimeout, with
 * no transaction handling (that is the writer's and group commit's), and the savepoint that makes
 * a request of several statements apply whole or not at all.
 */

/** PRAGMA and VACUUM run outside any transaction: inside one they fail or silently do nothing. */
const STANDALONE = /^\s*(?:(?:--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)\s*)*(?:pragma|vacuum)\b/i;

/** True for a request that must run alone, outside any transaction. */
export function isStandalone(request: Request): boolean {
  return 'sql' in request && STANDALONE.test(request.sql);
}

/**
 * A request that cannot change the database: a single statement that cannot, or a batch of only
 * such statements. It runs as a read: no transaction of its own, no COMMIT, nothing recorded (a
 * retry of a read simply reads again). A statement that does not prepare is not a read.
 */
export function isRead(conn: Connection, request: Request): boolean {
  try {
    switch (request.op) {
      case 'all':
      case 'get':
      case 'run':
      case 'query':
      case 'snapshot':
        return conn.isReadonly(request.sql);
      case 'batch':
        // Each distinct text once; an empty batch changes nothing either.
        return request.statements.texts.every((sql) => conn.isReadonly(sql));
      default:
        return false;
    }
  } catch {
    return false;
  }
}

/** Runs the statement(s) of one request under its queryTimeout. */
export function apply(conn: Connection, request: Request): Reply {
  return conn.timed(request.queryTimeout, () => applyStatements(conn, request));
}

function applyStatements(conn: Connection, request: Request): Reply {
  switch (request.op) {
    case 'exec':
      conn.exec(request.sql);
      return undefined;
    case 'run': {
      const { changes, lastInsertRowid } = conn.query(request.sql, request.params, 0);
      return { changes, lastInsertRowid };
    }
    case 'all':
      return conn.query(request.sql, request.params).rows;
    case 'get':
      return conn.query(request.sql, request.params, 1).rows[0];
    case 'query':
      return request.rowMode === 'object' ? conn.query(request.sql, request.params) : conn.queryArrays(request.sql, request.params);
    case 'batch': {
      const results: StatementResult[] = [];
      const arrays = request.rowMode === 'array';
      forEachStatement(request.statements, (sql, params) => results.push(arrays ? conn.queryArrays(sql, params) : conn.query(sql, params)));
      return packResults(results, request.rowMode !== undefined);
    }
    default:
      throw new SqliteError('INVALID_ARGUMENT', `${request.op} cannot run as a statement`);
  }
}

/** Runs `fn` in a savepoint: all of it applies, or none of it. */
export function atomically<T>(conn: Connection, fn: () => T): T {
  conn.control('SAVEPOINT baton_request');
  try {
    const result = fn();
    conn.control('RELEASE baton_request');
    return result;
  } catch (e) {
    if (!conn.autocommit) {
      conn.control('ROLLBACK TO baton_request');
      conn.control('RELEASE baton_request');
    }
    throw e;
  }
}
