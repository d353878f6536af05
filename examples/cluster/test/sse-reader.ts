/** One event of a text/event-stream: its id and event name if it had them, its data as JSON. */
export interface SseEvent {
  id: string | undefined
  event: string | undefined
  data: unknown
}

/**
 * Reads an SSE stream (a live channel, the proxy's routing log) event by event as it comes; the
 * test waits for what it expects with `until` or `find`, then `close`s it.
 *
 * @example
 * ```ts
 * const stream = await readSse(`${origin}/live/prices`)
 * await stream.find((event) => event.id !== undefined)
 * ```
 */
export async function readSse(url: string) {
  const controller = new AbortController()
  const response = await fetch(url, { signal: controller.signal })
  const events: SseEvent[] = []
  const waiting = new Set<() => void>()
  void (async () => {
    const decoder = new TextDecoder()
    let buffer = ''
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true })
        let end = buffer.indexOf('\n\n')
        while (end !== -1) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const data = /^data: (.*)$/m.exec(block)?.[1]
          if (data !== undefined) {
            const id = /^id: (.*)$/m.exec(block)?.[1]
            const event = /^event: (.*)$/m.exec(block)?.[1]
            events.push({ id, event, data: JSON.parse(data) })
          }
          end = buffer.indexOf('\n\n')
        }
        for (const wake of [...waiting]) wake()
      }
    } catch {
      // aborted
    }
  })()
  return {
    response,
    events,
    /** Resolves once `check` holds, checked after each chunk read. */
    until(check: () => boolean): Promise<void> {
      return new Promise((resolve) => {
        const wake = (): void => {
          if (!check()) return
          waiting.delete(wake)
          resolve()
        }
        waiting.add(wake)
        wake()
      })
    },
    /** Resolves with the first event (from the start) that satisfies `predicate`. */
    async find(predicate: (event: SseEvent) => boolean): Promise<SseEvent> {
      await this.until(() => events.some(predicate))
      return events.find(predicate) as SseEvent
    },
    close: () => controller.abort(),
  }
}
