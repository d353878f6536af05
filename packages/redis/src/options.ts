import { LiveServerError } from '@livedata/server/backplane'

/**
 * `value` if it is a positive safe integer, `fallback` when it is `undefined`; otherwise throws
 * `LiveServerError('ERR_INVALID_OPTIONS')` with a sentence naming the option.
 *
 * @example
 * ```ts
 * positiveOption('history', options.history, 1000) // 1000 when unset
 * ```
 */
export function positiveOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new LiveServerError(
      'ERR_INVALID_OPTIONS',
      `${name} must be a positive integer, got ${value}`,
    )
  }
  return value
}

/**
 * The key prefix of every Redis key this package writes: `'livedata'` when unset; otherwise a
 * non-empty string without spaces, or `LiveServerError('ERR_INVALID_OPTIONS')`.
 *
 * @example
 * ```ts
 * prefixOption(undefined) // 'livedata'
 * ```
 */
export function prefixOption(prefix: string | undefined): string {
  const value = prefix ?? 'livedata'
  if (typeof value !== 'string' || value === '' || /\s/.test(value)) {
    throw new LiveServerError(
      'ERR_INVALID_OPTIONS',
      'prefix must be a non-empty string without spaces',
    )
  }
  return value
}

/**
 * Checks that exactly one of `url` and `client` is given (`what` names the caller in the error).
 *
 * @example
 * ```ts
 * sourceOption('redisBackplane', options.url, options.client)
 * ```
 */
export function sourceOption(what: string, url: unknown, client: unknown): void {
  if ((url === undefined) === (client === undefined)) {
    throw new LiveServerError(
      'ERR_INVALID_OPTIONS',
      `${what} takes a url or a client, one of the two`,
    )
  }
  if (url !== undefined && (typeof url !== 'string' || url === '')) {
    throw new LiveServerError('ERR_INVALID_OPTIONS', `${what}: url must be a non-empty string`)
  }
}
