import { transferHandlers, type TransferHandler } from 'comlink';
import { SqliteError, type ErrorCode } from './errors.ts';
import { PeerGone } from './liveness.ts';

/**
 * comlink sends a thrown value as `{ message, name, stack }` and loses its class and `code`.
 * This handler replaces comlink's built-in `throw` handler on both sides of every hop (page,
 * follower worker, leader worker), so a `SqliteError` thrown in the leader arrives in the page as
 * a `SqliteError` with the same code, and a leader stepping down reaches its followers as
 * {@link PeerGone}, the same signal as a peer that died. Anything else is wrapped, never passed
 * as a bare object.
 */

interface WireError {
  readonly isSqliteError: boolean;
  readonly code: string;
  readonly message: string;
  readonly resultCode?: number;
  readonly name: string;
  readonly peerGone?: true;
}

/** comlink's own marker symbol is private; its built-in handler still knows how to spot it. */
type Thrown = { value: unknown };
const builtinThrow = transferHandlers.get('throw') as TransferHandler<Thrown, unknown>;

function toWire(value: unknown): WireError {
  if (value instanceof SqliteError) {
    return { isSqliteError: true, code: value.code, message: value.message, resultCode: value.resultCode, name: value.name };
  }
  if (value instanceof PeerGone)
    return { isSqliteError: false, code: 'SQLITE_INTERNAL', message: value.message, name: value.name, peerGone: true };
  if (value instanceof Error) return { isSqliteError: false, code: 'SQLITE_INTERNAL', message: value.message, name: value.name };
  return { isSqliteError: false, code: 'SQLITE_INTERNAL', message: String(value), name: 'Error' };
}

/** Rebuilds the error on the receiving side; unknown shapes become a coded error too. */
export function errorFromWire(wire: unknown): SqliteError | PeerGone {
  if (typeof wire !== 'object' || wire === null) return new SqliteError('SQLITE_INTERNAL', String(wire));
  const w = wire as Partial<WireError>;
  const message = typeof w.message === 'string' ? w.message : 'unknown error';
  if (w.peerGone === true) return new PeerGone(message);
  const code = typeof w.code === 'string' ? (w.code as ErrorCode) : 'SQLITE_INTERNAL';
  const prefix = w.isSqliteError || w.name === undefined ? '' : `${w.name}: `;
  return new SqliteError(code, prefix + message, typeof w.resultCode === 'number' ? w.resultCode : undefined);
}

const throwHandler: TransferHandler<Thrown, WireError> = {
  canHandle: (value: unknown): value is Thrown => builtinThrow.canHandle(value),
  serialize: (thrown) => [toWire(thrown.value), []],
  deserialize: (wire) => {
    throw errorFromWire(wire);
  },
};

/** Installs the handler; idempotent, called by every module that creates a comlink channel. */
export function installErrorTransfer(): void {
  transferHandlers.set('throw', throwHandler as TransferHandler<unknown, unknown>);
}
