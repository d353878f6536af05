import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { LiveDataError } from '../src/errors'
import {
  ClientFrameType,
  FINAL_REFUSALS,
  IframeEventType,
  RESERVED_PREFIX,
  ServerFrameType,
  SseControl,
  WireError,
} from '../src/protocol'
import { channelRefusal, isFinalRefusal, statusOfCode } from '../src/server-error'

// The client's protocol names against docs/protocol.md, the contract with the server: a name
// the client acts on and the document does not give is a protocol nobody else can implement.
const doc = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8')

describe('protocol names in docs/protocol.md', () => {
  it.each(Object.values(WireError))('documents the error code %s', (code) => {
    expect(doc).toMatch(new RegExp(`\`${code}\``))
  })

  it.each(Object.values(ClientFrameType))('documents the client frame type "%s"', (type) => {
    expect(doc).toContain(`{"type":"${type}"`)
  })

  it.each(Object.values(ServerFrameType))('documents the server frame type "%s"', (type) => {
    expect(doc).toContain(`{"type":"${type}"`)
  })

  it.each(Object.values(SseControl))('documents the SSE control event %s', (event) => {
    expect(event.startsWith(RESERVED_PREFIX)).toBe(true)
    expect(doc).toContain(`event: ${event}`)
  })

  it.each(Object.values(IframeEventType))('documents the iframe event "t":"%s"', (type) => {
    expect(doc).toContain(`{"t":"${type}"`)
  })

  it('documents the reserved prefix', () => {
    expect(doc).toContain(`starting with \`${RESERVED_PREFIX}\` are`)
  })
})

describe('what the client makes of the codes', () => {
  it('reads ERR_ORIGIN, ERR_HOST and ERR_FORBIDDEN, and only those, as final refusals', () => {
    expect([...FINAL_REFUSALS].sort()).toEqual(['ERR_FORBIDDEN', 'ERR_HOST', 'ERR_ORIGIN'])
    for (const code of Object.values(WireError)) {
      const error = new LiveDataError('ERR_HTTP_STATUS', 'x', { serverCode: code })
      expect(isFinalRefusal(error)).toBe(FINAL_REFUSALS.includes(code))
    }
  })

  it('reads an error frame with ERR_AUTHORIZE as its HTTP twin, 503 (passing)', () => {
    expect(statusOfCode(WireError.Authorize)).toBe(503)
    expect(statusOfCode(WireError.Forbidden)).toBe(403)
    expect(statusOfCode(WireError.InvalidHello)).toBeUndefined()
  })

  it('reads an error frame with ERR_BACKPLANE (a node could not load the channel) as 503 (passing)', () => {
    expect(statusOfCode(WireError.Backplane)).toBe(503)
    const error = channelRefusal('prices', { code: 'ERR_BACKPLANE', message: 'Redis is down' })
    expect(error).toMatchObject({ code: 'ERR_HTTP_STATUS', status: 503, retryable: true })
  })
})
