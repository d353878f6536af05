import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { globalTimers } from '../src/environment'
import { LiveDataError } from '../src/errors'
import { LinkPool } from '../src/link'
import { type LinkRequest, RequestLink } from '../src/transports/request-link'
import type { TransportContext, TransportHandlers, TransportMessage } from '../src/types'

// The bookkeeping of a link whose connection is one request naming every channel, driven by
// hand: the test plays the server's part on each request (its opening, cursors, messages).
// Timers are fake only for the one-tick batching of joins.

class ScriptedLink extends RequestLink {
  readonly requests: Array<{ request: LinkRequest; abandoned: boolean }> = []
  protected start(request: LinkRequest): () => void {
    const entry = { request, abandoned: false }
    this.requests.push(entry)
    return () => {
      entry.abandoned = true
    }
  }
}

/** A source's side of a member: what it was told, in order. */
function source() {
  const seen: string[] = []
  let status = 'connecting'
  const handlers: TransportHandlers = {
    onOpen() {
      status = 'open'
    },
    onActivity: () => {},
    onMessage: (message: TransportMessage) => void seen.push(String(message.id)),
    onCursor: () => {},
    onRetry: () => {},
    onGap: () => {},
    onError: () => {},
    onClose(error) {
      status = `closed ${error?.code ?? ''}`.trim()
    },
  }
  return { handlers, seen, status: () => status }
}

const message = (id: string): TransportMessage => ({ value: id, event: 'message', id })

describe('a request link', () => {
  let pool: LinkPool
  let link: ScriptedLink
  const context = (key: string, lastEventId: string | null = null) =>
    ({
      key,
      lastEventId,
      replay: undefined,
      event: undefined,
      timers: globalTimers,
    }) as TransportContext
  const join = (key: string, lastEventId: string | null = null) => {
    const s = source()
    const connection = link.attach(context(key, lastEventId), s.handlers)
    vi.advanceTimersByTime(0)
    return { ...s, connection }
  }
  const specs = (i: number) =>
    link.requests[i]?.request.channels.map((c) =>
      c.cursor ? `${c.channel}!${c.cursor}` : c.channel,
    )

  beforeEach(() => {
    vi.useFakeTimers()
    pool = new LinkPool()
    link = pool.get('k', () => new ScriptedLink(context('k')))
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('opens only the channels a request carries: one that joined while it opened waits for its own', () => {
    const feed = join('feed', '1-0')
    const slow = join('slow', '1-0') // the first request is not open yet: slow waits for the next
    expect(link.requests).toHaveLength(1)
    const [first] = link.requests
    first?.request.ready()
    expect(feed.status()).toBe('open')
    expect(slow.status()).toBe('connecting')
    // The replacement for both goes out once the first is open; slow opens with it.
    expect(specs(1)).toEqual(['feed!1-0', 'slow!1-0'])
    link.requests[1]?.request.ready()
    expect(slow.status()).toBe('open')
    expect(first?.abandoned).toBe(true)
  })

  it('keeps the old request delivering until the new one is open, and the cursor never moves back', () => {
    const feed = join('feed', '1-0')
    link.requests[0]?.request.ready()
    join('news', '1-0')
    const [old, next] = link.requests
    old?.request.deliver('feed', message('1-1'))
    old?.request.deliver('feed', message('1-2'))
    // The new request replays from the cursor it was built with: 1-1 again, which is dropped
    // by the source; the link's cursor stays at 1-2.
    next?.request.deliver('feed', message('1-1'))
    expect(feed.seen).toEqual(['1-1', '1-2', '1-1'])
    expect(link.members.get('feed')?.cursor).toBe('1-2')
    next?.request.ready()
    expect(old?.abandoned).toBe(true)
    old?.request.deliver('feed', message('1-3')) // too late: abandoned
    expect(feed.seen).toEqual(['1-1', '1-2', '1-1'])
  })

  it('names no channel fresh again while the open request has not told its cursor', () => {
    const b = source()
    link.attach(context('a', '1-0'), source().handlers)
    link.attach(context('b'), b.handlers) // fresh: the server will tell its cursor
    vi.advanceTimersByTime(0)
    // The first request carries both, b fresh; its opening comes in pieces (a long replay of a).
    expect(specs(0)).toEqual(['a!1-0', 'b'])
    link.requests[0]?.request.ready()
    join('c', '1-0')
    // No replacement yet: named fresh again, b would start after what the first has in flight.
    expect(link.requests).toHaveLength(1)
    link.requests[0]?.request.cursor('b', '1-10')
    expect(specs(1)).toEqual(['a!1-0', 'b!1-10', 'c!1-0'])
    link.requests[0]?.request.deliver('b', message('1-11'))
    link.requests[1]?.request.ready()
    expect(b.seen).toEqual(['1-11'])
  })

  it('a replacement that fails closes only the channels it alone carried; the others go on', () => {
    const feed = join('feed', '1-0')
    link.requests[0]?.request.ready()
    const bad = join('bad', '1-0')
    link.requests[1]?.request.end(new LiveDataError('ERR_HTTP_STATUS', '400', { status: 400 }))
    expect(bad.status()).toBe('closed ERR_HTTP_STATUS')
    expect(feed.status()).toBe('open')
    expect(link.done).toBe(false)
    link.requests[0]?.request.deliver('feed', message('1-1'))
    expect(feed.seen).toEqual(['1-1'])
  })

  it('the old request ending while its replacement is on the way leaves the link to the replacement', () => {
    const feed = join('feed', '1-0')
    link.requests[0]?.request.ready()
    join('news', '1-0')
    link.requests[0]?.request.end(new LiveDataError('ERR_CONNECTION_LOST', 'cut'))
    expect(link.done).toBe(false)
    expect(feed.status()).toBe('open')
    link.requests[1]?.request.ready()
    link.requests[1]?.request.deliver('feed', message('1-1'))
    expect(feed.seen).toEqual(['1-1'])
  })

  it('a refusal from an old request never reaches the membership of a source that came back', () => {
    join('feed', '1-0')
    link.requests[0]?.request.ready()
    const first = join('flaky', '1-0')
    link.requests[1]?.request.refuse('flaky', new LiveDataError('ERR_REFUSED', 'later'))
    expect(first.status()).toBe('closed ERR_REFUSED')
    const again = join('flaky', '1-0')
    // A late word of the request that refused it is about the old membership.
    link.requests[1]?.request.refuse('flaky', new LiveDataError('ERR_REFUSED', 'again'))
    expect(again.status()).toBe('connecting')
  })
})
