/**
 * A fresh idempotency key for one send: a random UUID (`crypto.randomUUID`, or 16 bytes of
 * `crypto.getRandomValues` where it is missing: an insecure origin, an old browser), 36
 * characters the server takes (1 to 128 of `A–Z a–z 0–9 _ -`). The server delivers a key once
 * per channel within its window, so a send retried with its key (after a lost acknowledgement,
 * or flushed again after a reload) is delivered once.
 *
 * @example
 * ```ts
 * newIdempotencyKey() // '3b241101-e2bb-4255-8caf-4136c566a962'
 * ```
 */
export function newIdempotencyKey(): string {
  const crypto = (globalThis as { crypto?: Crypto }).crypto
  if (typeof crypto?.randomUUID === 'function') return crypto.randomUUID()
  const bytes = new Uint8Array(16)
  if (typeof crypto?.getRandomValues === 'function') crypto.getRandomValues(bytes)
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256)
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')
}
