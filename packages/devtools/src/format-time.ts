/**
 * A time as `HH:MM:SS.mmm` in the local zone, the way the timeline shows it.
 *
 * @example
 * ```ts
 * formatTime(Date.now()) // '14:03:07.412'
 * ```
 */
export function formatTime(time: number): string {
  const date = new Date(time)
  // `toTimeString()` starts with `HH:MM:SS` in the local zone.
  return `${date.toTimeString().slice(0, 8)}.${String(date.getMilliseconds()).padStart(3, '0')}`
}
