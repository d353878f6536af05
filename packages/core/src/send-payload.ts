import { LiveDataError } from './errors'

/**
 * Checks that `data` can travel as JSON and returns its JSON text, or throws
 * `ERR_INVALID_PAYLOAD`: `undefined` (which JSON.stringify turns into nothing), a function or a
 * symbol anywhere (which it would drop without a word), a bigint or a cycle (which make it throw).
 * A send that fails here is never sent, so a mistake in one send cannot reach the server.
 *
 * @example
 * ```ts
 * payloadText({ text: 'hi' }) // '{"text":"hi"}'
 * payloadText(() => 1) // throws LiveDataError ERR_INVALID_PAYLOAD
 * ```
 */
export function payloadText(data: unknown, key: string): string {
  let text: string | undefined
  let problem: string | undefined
  try {
    text = JSON.stringify(data, (_name, value: unknown) => {
      const type = typeof value
      if (type === 'function' || type === 'symbol' || type === 'bigint') {
        problem = `a ${type}`
        throw new TypeError(problem)
      }
      return value
    })
  } catch (cause) {
    // What JSON.stringify itself threw on: a cycle, or a nesting deeper than the stack.
    problem ??=
      cause instanceof RangeError
        ? 'a value nested this deep'
        : /circular/i.test(String(cause))
          ? 'a cycle'
          : `this value (${String(cause).slice(0, 200)})`
    throw invalid(key, problem, cause)
  }
  if (text === undefined) throw invalid(key, 'undefined')
  return text
}

const invalid = (key: string, problem: string, cause?: unknown): LiveDataError =>
  new LiveDataError(
    'ERR_INVALID_PAYLOAD',
    `A send on "${key}" was not sent: JSON cannot carry ${problem}. Send a JSON value (null, not undefined).`,
    { cause, retryable: false },
  )
