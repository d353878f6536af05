import { type DEVTOOLS_TAG, defineDevtools, type InspectableClient } from './element'

/** Options of {@link showDevtools}. */
export interface ShowDevtoolsOptions {
  /** Start folded down to a badge. Defaults to `false`. */
  collapsed?: boolean
  /** Where the panel goes. Defaults to `document.body`. */
  parent?: HTMLElement
}

/**
 * Shows the inspector panel for `client`: defines `<livedata-devtools>` if needed, appends one
 * to the page and returns the function that removes it (which stops inspecting). Development
 * only: the production build of @livedata/core has no `inspect()`, and the panel says so.
 *
 * @example
 * ```ts
 * import { showDevtools } from '@livedata/devtools'
 * const hide = showDevtools(client)
 * // later: hide()
 * ```
 */
export function showDevtools(
  client: InspectableClient,
  options: ShowDevtoolsOptions = {},
): () => void {
  defineDevtools()
  const panel = document.createElement('livedata-devtools' satisfies typeof DEVTOOLS_TAG)
  panel.collapsed = options.collapsed ?? false
  panel.client = client
  ;(options.parent ?? document.body).append(panel)
  return () => panel.remove()
}
