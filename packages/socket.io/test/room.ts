import type { SourceOptions } from '@livedata/core'

/** What the binding tests' server emits on {@link ROOM}. */
export interface Line {
  from: string
  text: string
}

/** The event the binding tests listen to. */
export const ROOM = 'room'

/** The source options of a chat room on the socket.io server at `url`: every line, in order. */
export function lines(url: string): SourceOptions<Line[], Line> & { initialData: Line[] } {
  return {
    url,
    transport: 'socket.io',
    event: ROOM,
    initialData: [],
    reduce: (all, line) => [...all, line],
  }
}
