import { describe, expect, it } from 'vitest'
import { FRAME_COST, Inbox, type InboxTarget } from '../src/inbox'

/** A target that records what the inbox does; `hold` keeps every handler waiting until released. */
function recorder() {
  const log: string[] = []
  let release: () => void = () => {}
  let held = new Promise<void>((resolve) => {
    release = resolve
  })
  const target: InboxTarget<number> = {
    handle: async (item) => {
      log.push(`handle ${item}`)
      await held
    },
    fail: (error) => log.push(`fail ${String(error)}`),
    pause: () => log.push('pause'),
    resume: () => log.push('resume'),
    overflow: () => log.push('overflow'),
  }
  return {
    log,
    target,
    release() {
      release()
      held = Promise.resolve()
    },
  }
}

const settle = async () => {
  for (let i = 0; i < 50; i++) await Promise.resolve()
  await new Promise((resolve) => setImmediate(resolve))
}

describe('Inbox', () => {
  it('handles frames one after the other, in order, even while one waits', async () => {
    const { log, target, release } = recorder()
    const inbox = new Inbox(target, { frames: 100, bytes: 1e6, hardBytes: 4e6 })
    for (const i of [1, 2, 3]) inbox.push(i, 10)
    await settle()
    expect(log).toEqual(['handle 1'])
    release()
    await settle()
    expect(log).toEqual(['handle 1', 'handle 2', 'handle 3'])
    expect(inbox.waiting).toBe(0)
    expect(inbox.bytes).toBe(0)
  })

  it('pauses the peer at the frame count, resumes it once half is handled', async () => {
    const { log, target, release } = recorder()
    const inbox = new Inbox(target, { frames: 4, bytes: 1e6, hardBytes: 4e6 })
    for (const i of [1, 2, 3, 4, 5]) inbox.push(i, 1)
    expect(log).toEqual(['pause'])
    expect(inbox.paused).toBe(true)
    release()
    await settle()
    // Resumed when 2 of 4 were left waiting, not before.
    expect(log).toEqual([
      'pause',
      'handle 1',
      'handle 2',
      'handle 3',
      'resume',
      'handle 4',
      'handle 5',
    ])
    expect(inbox.paused).toBe(false)
  })

  it('pauses the peer at the byte threshold (a frame counts its bytes and FRAME_COST)', async () => {
    const { log, target } = recorder()
    const inbox = new Inbox(target, { frames: 1000, bytes: 1000, hardBytes: 4000 })
    inbox.push(1, 1000 - FRAME_COST - 1)
    expect(log).toEqual([])
    inbox.push(2, 0)
    expect(log).toEqual(['pause'])
  })

  it('cuts a peer that goes past hardBytes although paused, and handles nothing more of it', async () => {
    const { log, target, release } = recorder()
    const inbox = new Inbox(target, { frames: 1000, bytes: 1000, hardBytes: 3000 })
    inbox.push(1, 900) // handled first, and held
    await settle()
    // A pause that does not stop the peer: frames keep coming.
    for (let i = 2; i < 10; i++) inbox.push(i, 900)
    expect(log).toEqual(['handle 1', 'pause', 'overflow'])
    release()
    await settle()
    expect(log).toEqual(['handle 1', 'pause', 'overflow'])
    expect(inbox.waiting).toBe(0)
  })

  it('a handler that throws is reported and the next frame still runs', async () => {
    const log: string[] = []
    const inbox = new Inbox<number>(
      {
        handle: async (item) => {
          if (item === 1) throw new Error('boom')
          log.push(`handle ${item}`)
        },
        fail: (error) => log.push(`fail ${(error as Error).message}`),
        pause: () => {},
        resume: () => {},
        overflow: () => {},
      },
      { frames: 10, bytes: 1e6, hardBytes: 4e6 },
    )
    inbox.push(1, 1)
    inbox.push(2, 1)
    await settle()
    expect(log).toEqual(['fail boom', 'handle 2'])
  })

  it('tells its target it is idle once every frame was handled and the peer is not paused, never before', async () => {
    const { log, target, release } = recorder()
    const inbox = new Inbox(
      { ...target, idle: () => log.push('idle') },
      { frames: 2, bytes: 1e6, hardBytes: 4e6 },
    )
    for (const i of [1, 2, 3]) inbox.push(i, 1)
    await settle()
    expect(log).toEqual(['pause', 'handle 1'])
    release()
    await settle()
    expect(log).toEqual(['pause', 'handle 1', 'handle 2', 'resume', 'handle 3', 'idle'])
    // A stopped inbox is not idle: its target is done with it.
    inbox.push(4, 1)
    inbox.stop()
    await settle()
    expect(log.filter((entry) => entry === 'idle')).toHaveLength(1)
  })
})
