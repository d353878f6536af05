/**
 * Reports an error thrown by an app's callback (a listener, an inspector) without letting it
 * reach the library's own code: to the page's `reportError` where there is one (it shows in the
 * console and fires `error` on `window`, as an uncaught error would), else to `console.error`.
 *
 * @example
 * ```ts
 * try { listener() } catch (error) { reportError(error) }
 * ```
 */
export const reportError = (error: unknown): void =>
  ((globalThis as { reportError?: (error: unknown) => void }).reportError ?? console.error)(error)
