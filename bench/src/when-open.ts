import type { LiveSource } from '@livedata/core'

/** Resolves once `source` is open. */
export function whenOpen(source: LiveSource<unknown>): Promise<void> {
  return new Promise((resolve) => {
    const stop = source.subscribe(() => {
      if (source.getSnapshot().status !== 'open') return
      stop()
      resolve()
    })
  })
}
