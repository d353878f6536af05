/**
 * `text` cut to at most `max` characters, the last one `…` when it was cut: what the panel
 * shows of a channel name or an error message of a megabyte.
 *
 * @example
 * ```ts
 * clip('a'.repeat(500), 200) // 199 × 'a' + '…'
 * ```
 */
export const clip = (text: string, max = 200): string =>
  text.length > max ? `${text.slice(0, max - 1)}…` : text
