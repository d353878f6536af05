/** A tab's place in the election of the one that leads. */
export interface Candidacy {
  /** Takes the lead from a leader that stopped answering (a frozen tab): Web Locks' `steal`. */
  takeOver(): void
  /** Gives the lead up (or stops asking for it): the next tab waiting is granted it. */
  resign(): void
}

/**
 * Asks for the exclusive Web Lock `name` and keeps asking: when it is granted, this tab leads
 * until it resigns (or until the page goes: the browser then grants it to the next tab waiting,
 * in the order they asked). `lead()` runs when it is granted and returns what to do on giving it
 * up. A tab whose lock is stolen (it froze, and another took over) gives the lead up when it
 * thaws, and asks again.
 *
 * @example
 * ```ts
 * const candidacy = elect(navigator.locks, 'livedata:https://app.example/live', () => {
 *   const relay = startRelay(bus, client)
 *   return () => relay.close()
 * })
 * ```
 */
export function elect(locks: LockManager, name: string, lead: () => () => void): Candidacy {
  let controller = new AbortController()
  let release: (() => void) | null = null
  let resigned = false

  const ask = (steal: boolean): void => {
    controller = new AbortController()
    const options: LockOptions = steal ? { steal: true } : { signal: controller.signal }
    locks
      .request(name, options, () => {
        const stop = lead()
        return new Promise<void>((resolve) => {
          release = () => {
            release = null
            stop()
            resolve()
          }
        })
      })
      .catch(() => {
        // Stolen while held (this tab froze and another took over): give up, and ask again.
        const stolen = release
        if (stolen) {
          stolen()
          if (!resigned) ask(false)
        }
      })
  }

  ask(false)
  return {
    takeOver() {
      if (resigned || release) return
      controller.abort()
      ask(true)
    },
    resign() {
      resigned = true
      controller.abort()
      release?.()
    },
  }
}
