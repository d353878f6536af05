/** One block of a `text/event-stream`, its fields as sent (comments are heartbeats). */
export interface SseBlock {
  id?: string
  event?: string
  data?: string
  retry?: string
  comment?: boolean
}

/**
 * Parses a `text/event-stream` as it arrives, calling `onBlock` for every block ended by a
 * blank line (WHATWG fields; several `data:` lines are joined by LF).
 */
export function createSseParser(onBlock: (block: SseBlock) => void): (chunk: string) => void {
  let buffer = ''
  let block: SseBlock = {}
  let any = false
  return (chunk) => {
    buffer += chunk
    for (;;) {
      const end = buffer.search(/\r\n|\r|\n/)
      if (end < 0) return
      const line = buffer.slice(0, end)
      buffer = buffer.slice(end + (buffer.startsWith('\r\n', end) ? 2 : 1))
      if (line === '') {
        if (any) onBlock(block)
        block = {}
        any = false
        continue
      }
      any = true
      if (line.startsWith(':')) {
        block.comment = true
        continue
      }
      const colon = line.indexOf(':')
      const field = colon < 0 ? line : line.slice(0, colon)
      let value = colon < 0 ? '' : line.slice(colon + 1)
      if (value.startsWith(' ')) value = value.slice(1)
      if (field === 'data')
        block.data = block.data === undefined ? value : `${block.data}\n${value}`
      else if (field === 'id' || field === 'event' || field === 'retry') block[field] = value
    }
  }
}
