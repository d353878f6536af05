/**
 * Asks for the exclusive Web Lock `name` and keeps asking: when it is granted, this tab leads
 * until `resign()` (or until the page goes: the browser then grants it to the next tab waiting,
 * in the order they asked). `lead()` runs when it is granted and returns what to do on giving it
 * up.
 *
 * @example
 * ```ts
 * const resign = electLeader(navigator.locks, 'livedata:https://app.example/live', () => {
 *   const relay = startRelay(bus, client)
 *   return () => relay.close()
 * })
 * ```
 */
export function electLeader(locks: LockManager, name: string, lead: () => () => void): () => void {
  const controller = new AbortController()
  let release: (() => void) | null = null
  locks
    .request(name, { signal: controller.signal }, () => {
      const stop = lead()
      return new Promise<void>((resolve) => {
        release = () => {
          stop()
          resolve()
        }
      })
    })
    // Aborted while waiting (the client closed first): nothing was led.
    .catch(() => {})
  return () => {
    controller.abort()
    release?.()
    release = null
  }
}
