import type { SourceOptions, TransportDefinition } from './types'

type Options = SourceOptions<unknown, unknown>

/** Whether this is a production build; bundlers replace `process.env.NODE_ENV` with a string. */
function isProduction(): boolean {
  try {
    return process.env.NODE_ENV === 'production'
  } catch {
    // A browser without a bundler's replacement has no `process`: development.
    return false
  }
}

/** What an option is compared by: re-created inline values must look the same. */
function fingerprint(name: string, value: unknown): unknown {
  if (typeof value === 'function') {
    const text = `${value}`
    // A native or bound function's text is only "function name() { [native code] }": two of
    // them may share it and differ, so they compare by identity.
    return text.includes('[native code]') ? value : text
  }
  if (name === 'transport' && typeof value === 'object' && value !== null) {
    return (value as TransportDefinition).name
  }
  // An inline object (`initialData: []`, a schema built in a render) is new every time: only
  // its kind counts, an array apart from any other object (`[]` then `{}` is the classic
  // `data.map is not a function`).
  if (Array.isArray(value)) return 'array'
  return typeof value === 'object' && value !== null ? 'object' : value
}

/** The options in which `next` differs from `first`. */
export function differingOptions(first: Options, next: Options): string[] {
  const names = new Set([...Object.keys(first), ...Object.keys(next)])
  return [...names].filter(
    (name) =>
      fingerprint(name, (first as Record<string, unknown>)[name]) !==
      fingerprint(name, (next as Record<string, unknown>)[name]),
  )
}

/**
 * In development, warns once per channel when `client.source(channel, options)` is called again
 * with options that differ from those the source was created with (which it keeps). Functions
 * compare by their source text, so an inline `reduce` re-created on every render does not warn
 * (native and bound functions, whose text says nothing, by identity); objects (`initialData`, a
 * schema) by their kind, an array or another object; a call without options never warns.
 *
 * @example
 * ```ts
 * const warned = new Set<string>()
 * warnOnOtherOptions('news', source.options, { reduce: other }, warned)
 * ```
 */
export function warnOnOtherOptions(
  channel: string,
  first: Options,
  next: Options,
  warned: Set<string>,
): void {
  if (warned.has(channel) || isProduction()) return
  // No options at all asks for the source as it is: nothing is lost.
  if (Object.values(next).every((value) => value === undefined)) return
  const names = differingOptions(first, next)
  if (names.length === 0) return
  warned.add(channel)
  console.warn(
    `@livedata: client.source("${channel}") was called again with other options (${names.join(', ')}); the source keeps the options it was created with. Give a source with other options a channel of its own, or pass the same options.`,
  )
}
