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
  if (typeof value === 'function') return `${value}`
  if (name === 'transport' && typeof value === 'object' && value !== null) {
    return (value as TransportDefinition).name
  }
  // An inline object (`initialData: []`, a schema built in a render) is new every time: only
  // its presence counts.
  return typeof value === 'object' && value !== null ? 'object' : value
}

/** The first option in which `next` differs from `first`, or `undefined`. */
export function differingOption(first: Options, next: Options): string | undefined {
  const names = new Set([...Object.keys(first), ...Object.keys(next)])
  for (const name of names) {
    const a = (first as Record<string, unknown>)[name]
    const b = (next as Record<string, unknown>)[name]
    if (fingerprint(name, a) !== fingerprint(name, b)) return name
  }
  return undefined
}

/**
 * In development, warns once per channel when `client.source(channel, options)` is called again
 * with options that differ from those the source was created with (which it keeps). Functions
 * compare by their source text, so an inline `reduce` re-created on every render does not warn.
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
  const name = differingOption(first, next)
  if (name === undefined) return
  warned.add(channel)
  console.warn(
    `@livedata: client.source("${channel}") was called again with another \`${name}\`; the source keeps the options it was created with. Give a source with other options a channel of its own, or pass the same options.`,
  )
}
