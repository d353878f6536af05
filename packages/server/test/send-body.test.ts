import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { readSendBody } from '../src/send-body'

describe('readSendBody', () => {
  it('reads bytes made in another realm (a jsdom window has its own Uint8Array)', () => {
    const text = '{"data":{"type":"ping"},"event":"say"}'
    const foreign = runInNewContext(`new Uint8Array(${JSON.stringify([...Buffer.from(text)])})`)
    expect(foreign instanceof Uint8Array).toBe(false)
    expect(readSendBody(foreign, 1024)).toEqual({ send: { data: { type: 'ping' }, event: 'say' } })
  })

  it('holds bytes and text to maxPayload in bytes, not characters', () => {
    const text = JSON.stringify({ data: 'é'.repeat(30) })
    expect(text.length).toBeLessThan(64)
    expect(readSendBody(text, 64)).toMatchObject({ refusal: { status: 413 } })
    expect(readSendBody(new TextEncoder().encode(text), 64)).toMatchObject({
      refusal: { status: 413 },
    })
  })
})
