import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { SERVER_TRANSPORTS } from '../src/hub'
import {
  CLIENT_FRAME_TYPES,
  frameStart,
  IFRAME_TYPES,
  MULTI_SSE_EVENTS,
  RESERVED_EVENT_PREFIX,
  SERVER_FRAME_TYPES,
  SSE_EVENTS,
  WIRE_ERROR_CODES,
} from '../src/protocol'
import { HTTP_TRANSPORTS } from '../src/subscribe'
import { IFRAME_FRAMES, POLL_FRAMES, SSE_FRAMES } from '../src/transports/forms'

const doc = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8')

/** The codes of `codes` that `text` never names in backticks or as a JSON string. */
function missingCodes(text: string, codes: readonly string[]): string[] {
  return codes.filter((code) => !text.includes(`\`${code}\``) && !text.includes(`"${code}"`))
}

describe('protocol.ts against docs/protocol.md', () => {
  it('docs/protocol.md names every wire error code the server sends', () => {
    expect(missingCodes(doc, WIRE_ERROR_CODES)).toEqual([])
  })

  it('the check finds a code the document misses', () => {
    const without = doc.replaceAll('ERR_METHOD', 'ERR_ELSEWHERE')
    expect(missingCodes(without, WIRE_ERROR_CODES)).toEqual(['ERR_METHOD'])
  })

  it('docs/protocol.md shows every WebSocket frame type, both ways', () => {
    const types = [...CLIENT_FRAME_TYPES, ...SERVER_FRAME_TYPES]
    expect(types.filter((type) => !doc.includes(`{"type":"${type}"`))).toEqual([])
  })

  it('docs/protocol.md names the reserved prefix and the SSE control events', () => {
    expect(doc).toContain(`\`${RESERVED_EVENT_PREFIX}`)
    for (const event of Object.values(SSE_EVENTS)) {
      expect(event.startsWith(RESERVED_EVENT_PREFIX)).toBe(true)
      expect(doc).toContain(`event: ${event}`)
    }
  })
})

describe('the multiplexed form against docs/protocol.md', () => {
  it('names every multiplexed SSE control event, each outside the channel alphabet', () => {
    for (const event of Object.values(MULTI_SSE_EVENTS)) {
      expect(event.startsWith('!')).toBe(true)
      expect(doc).toContain(`event: ${event}`)
    }
  })

  it('shows every iframe object type', () => {
    const missing = Object.values(IFRAME_TYPES).filter((t) => !doc.includes(`{"t":"${t}"`))
    expect(missing).toEqual([])
  })
})

describe('the HTTP transport table', () => {
  it('serves every transport but WebSocket over plain HTTP requests', () => {
    const http = SERVER_TRANSPORTS.filter((name) => name !== 'websocket')
    expect([...HTTP_TRANSPORTS].sort()).toEqual([...http].sort())
  })

  it('has frames of both forms, per channel and multiplexed, for every HTTP transport', () => {
    for (const frames of [SSE_FRAMES, IFRAME_FRAMES, POLL_FRAMES]) {
      expect(Object.keys(frames).sort()).toEqual(['multi', 'single'])
    }
  })
})

describe('frameStart', () => {
  it('opens a server frame of that type', () => {
    expect(JSON.parse(`${frameStart('ack')},"ref":3}`)).toEqual({ type: 'ack', ref: 3 })
  })
})
