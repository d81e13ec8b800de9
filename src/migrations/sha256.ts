/**
 * SHA-256 of a text's UTF-8 bytes, as lowercase hex (what `sha256sum` prints), or null where the
 * context has no Web Crypto (a non-secure context: there the database can only be in memory).
 */
export async function sha256Hex(text: string): Promise<string | null> {
  if (!globalThis.crypto?.subtle) return null;
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}
