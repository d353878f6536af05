import type { LiveClient } from '@livedata/core'
import { showDevtools } from '@livedata/devtools'

// The demo's "Inspector" switch: a checkbox in the page's corner that shows the @livedata/devtools
// panel for the app's current client. Kept in the query string (`?inspector=1`), like the settings.
//
// The panel needs `client.inspect()`, which the core's `production` build leaves out: each app's
// vite.config.ts makes its production build take the core's default build for that reason.

let current: LiveClient | null = null
let hide: (() => void) | null = null
let toggle: HTMLInputElement | null = null

function showOrHide(): void {
  hide?.()
  hide = null
  if (toggle?.checked && current) hide = showDevtools(current)
}

function createToggle(): HTMLInputElement {
  const label = document.createElement('label')
  label.className = 'inspector-toggle'
  label.style.cssText =
    'position:fixed;left:12px;bottom:12px;z-index:2147483000;display:flex;gap:6px;align-items:center;padding:4px 10px;border-radius:999px;background:#262a33;color:#e6e6e6;font:12px system-ui,sans-serif;cursor:pointer'
  const box = document.createElement('input')
  box.type = 'checkbox'
  box.dataset.testid = 'inspector-toggle'
  box.checked = new URLSearchParams(location.search).get('inspector') === '1'
  box.addEventListener('change', () => {
    const query = new URLSearchParams(location.search)
    if (box.checked) query.set('inspector', '1')
    else query.delete('inspector')
    const search = query.toString()
    history.replaceState(null, '', `${location.pathname}${search ? `?${search}` : ''}`)
    showOrHide()
  })
  label.append(box, 'Inspector')
  document.body.append(label)
  return box
}

/**
 * Puts the Inspector switch in the page (once) and points it at `client`: checked, it shows the
 * devtools panel for that client. Returns the function that lets go of `client` (call it when the
 * app replaces or closes it). Call it from an effect of each app.
 *
 * @example
 * ```ts
 * useEffect(() => bindInspector(client), [client])
 * ```
 */
export function bindInspector(client: LiveClient): () => void {
  toggle ??= createToggle()
  current = client
  showOrHide()
  return () => {
    if (current !== client) return
    current = null
    showOrHide()
  }
}
