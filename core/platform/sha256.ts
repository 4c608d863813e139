// SHA-256 on Node: node:crypto (the browser build swaps in sha256.browser.ts, a synchronous JavaScript implementation).

import { createHash } from 'node:crypto';

/** SHA-256 of the concatenated chunks (32 bytes). */
export function sha256(chunks: readonly Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const c of chunks) h.update(c);
  return new Uint8Array(h.digest());
}
