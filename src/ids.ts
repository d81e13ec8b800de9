/**
 * Random ids for tabs, requests and transactions. crypto.getRandomValues works in every context,
 * secure or not (crypto.randomUUID does not), which matters when OPFS is missing and memory is used.
 */
export function randomId(length = 12): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let id = '';
  for (const byte of bytes) id += (byte % 36).toString(36);
  return id;
}
