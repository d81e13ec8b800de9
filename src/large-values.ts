/**
 * Large binary values on their way between tabs and workers.
 *
 * A BroadcastChannel cannot transfer anything: a 50 MB Uint8Array posted on one is serialized on
 * the sender's thread, copied through the browser process and deserialized on the receiver's
 * thread, and the leader's thread serves no other tab meanwhile. A Blob crosses by reference
 * (the browser keeps its bytes once) and is read back without blocking the receiver. Measured
 * here, a 50 MB value sent to another tab's worker and back: 1.8-2.4 s as a Uint8Array (the
 * echoing worker blocked 0.2-0.9 s), 0.6-1.1 s as a Blob (blocked 0.05-0.3 s); at 256 KiB the
 * Uint8Array is faster (9-16 ms against 14-41), at 4 MiB the Blob (41-81 ms against 53-98).
 *
 * Between a page and its own worker a buffer can be transferred instead: the worker hands over
 * the buffers of a reply (values it made, nobody else holds them) rather than copying them.
 */

/** From this size on, a Uint8Array crosses a BroadcastChannel as a Blob. */
export const BLOB_FROM_BYTES = 4 * 1024 * 1024;
let blobFrom = BLOB_FROM_BYTES;

/**
 * Bench-only: this realm sends every value inside its messages, as before Blobs were used (for
 * the "before" figures in the same run). The library never calls it.
 */
export function copyLargeValues(): void {
  blobFrom = Number.POSITIVE_INFINITY;
}
/** From this size on, a reply's buffer is transferred to the page rather than copied. */
const TRANSFER_FROM_BYTES = 64 * 1024;
/**
 * How deep a message is searched for values: a batch's named parameter sits at depth 7 of a
 * comlink request (body, argumentList, [0], value, statements, values, [i], key), a row's value
 * at depth 6 of a reply. Deeper values are copied as usual.
 */
const MAX_DEPTH = 8;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Sets `key` as an own property: assigned, a key named __proto__ would set the prototype instead. */
function put(target: Record<string, unknown> | unknown[], key: string | number, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * `message` with every Uint8Array of {@link BLOB_FROM_BYTES} or more replaced by a Blob of the
 * same bytes. The message itself is left as it was (it holds the caller's own arrays): what
 * changes is copied along the way.
 */
export function blobsForLargeValues(message: unknown, depth = 0): unknown {
  if (message instanceof Uint8Array) {
    // A view of shared memory cannot make a Blob; it is copied as it always was.
    if (message.byteLength < blobFrom || !(message.buffer instanceof ArrayBuffer)) return message;
    return new Blob([message as Uint8Array<ArrayBuffer>]);
  }
  if (depth >= MAX_DEPTH) return message;
  if (Array.isArray(message)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < message.length; i++) {
      const item: unknown = message[i];
      const replaced = blobsForLargeValues(item, depth + 1);
      if (replaced === item) continue;
      copy ??= message.slice();
      copy[i] = replaced;
    }
    return copy ?? message;
  }
  if (isPlainObject(message)) {
    let copy: Record<string, unknown> | undefined;
    for (const key of Object.keys(message)) {
      const item = message[key];
      const replaced = blobsForLargeValues(item, depth + 1);
      if (replaced === item) continue;
      copy ??= { ...message };
      put(copy, key, replaced);
    }
    return copy ?? message;
  }
  return message;
}

/** Where each Blob of a received message sits, to put its bytes there once they are read. */
type Slot = [container: Record<string, unknown> | unknown[], key: string | number, blob: Blob];

function findBlobs(message: unknown, slots: Slot[], depth: number): void {
  if (depth >= MAX_DEPTH) return;
  if (Array.isArray(message)) {
    for (let i = 0; i < message.length; i++) {
      const item: unknown = message[i];
      if (item instanceof Blob) slots.push([message, i, item]);
      else findBlobs(item, slots, depth + 1);
    }
  } else if (isPlainObject(message)) {
    for (const key of Object.keys(message)) {
      const item = message[key];
      if (item instanceof Blob) slots.push([message, key, item]);
      else findBlobs(item, slots, depth + 1);
    }
  }
}

/**
 * Turns the Blobs of a received message back into Uint8Arrays, in place (the message was just
 * deserialized: nobody else holds it). Undefined when the message holds none, so that the common
 * message is delivered at once; otherwise resolves once every value is read. Rejects when one
 * cannot be read (the browser could not keep its bytes): the message is then lost, as if the
 * sender had died, and its call ends by its deadline.
 */
export function readLargeValues(message: unknown): Promise<void> | undefined {
  const slots: Slot[] = [];
  findBlobs(message, slots, 0);
  if (slots.length === 0) return undefined;
  return Promise.all(
    slots.map(async ([container, key, blob]) => {
      put(container, key, new Uint8Array(await blob.arrayBuffer()));
    }),
  ).then(() => undefined);
}

/**
 * The buffers of a reply's large values that can be handed over to the page: each Uint8Array of
 * {@link TRANSFER_FROM_BYTES} or more that is the only view of its whole buffer, once each.
 */
export function transferableBuffers(reply: unknown, found = new Set<ArrayBuffer>(), depth = 0): ArrayBuffer[] {
  if (reply instanceof Uint8Array) {
    const buffer = reply.buffer;
    if (buffer instanceof ArrayBuffer && reply.byteOffset === 0 && reply.byteLength === buffer.byteLength) {
      if (reply.byteLength >= TRANSFER_FROM_BYTES) found.add(buffer);
    }
  } else if (depth < MAX_DEPTH) {
    if (Array.isArray(reply)) for (const item of reply) transferableBuffers(item, found, depth + 1);
    else if (isPlainObject(reply)) for (const key of Object.keys(reply)) transferableBuffers(reply[key], found, depth + 1);
  }
  return [...found];
}
