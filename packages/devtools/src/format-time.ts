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
  const two = (n: number) => String(n).padStart(2, '0')
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(
    date.getMilliseconds(),
  ).padStart(3, '0')}`
}
