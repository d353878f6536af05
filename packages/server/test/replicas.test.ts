import { afterEach, describe, expect, it, vi } from 'vitest'
import type { LiveServerError } from '../src/errors'
import { createReplicas, type ReplicaOptions } from '../src/replicas'
import { createSharedLog } from './shared-log'

/** The replicas of one node of `log`, closed after the test; `reports` gets what they report. */
function replicasOf(
  node: ReturnType<ReturnType<typeof createSharedLog>['node']>,
  options: Partial<ReplicaOptions> = {},
) {
  const reports: LiveServerError[] = []
  const replicas = createReplicas({
    backplane: node.backplane,
    history: 100,
    linger: 30_000,
    catchUp: 5_000,
    timeout: 10_000,
    maxChannels: 10_000,
    report: (error) => reports.push(error),
    ...options,
  })
  opened.push(replicas)
  return { replicas, reports }
}

const opened: { close(): void }[] = []
afterEach(() => {
  vi.useRealTimers()
  for (const replicas of opened.splice(0)) replicas.close()
})

describe('replicas of a backplane', () => {
  it('never lets the sweeper drop a channel a prepare still waits on', async () => {
    vi.useFakeTimers()
    const log = createSharedLog()
    const node = log.node()
    await node.backplane.publish({ channel: 'slow', event: undefined, json: '1' })
    // linger 0: any channel without subscribers is swept at the next turn (every second).
    const { replicas } = replicasOf(node, { linger: 0, timeout: 60_000 })
    node.holdLoads('slow')
    const preparing = replicas.prepare([{ channel: 'slow', lastEventId: null }])
    await vi.advanceTimersByTimeAsync(3_000)
    // The sweeper came by three times; the follow is the one the prepare waits on.
    expect(node.following('slow')).toBe(1)
    node.releaseLoads('slow')
    const prepared = await preparing
    expect(prepared.current).toBe(true)
    expect(prepared.get('slow')?.history.length).toBe(1)
    expect(replicas.channels.get('slow')).toBe(prepared.get('slow'))
  })

  it('rejects a prepare waiting on a channel that is dropped, rather than leave it waiting', async () => {
    const log = createSharedLog()
    const node = log.node()
    const { replicas } = replicasOf(node)
    node.holdLoads('slow')
    const preparing = replicas.prepare([{ channel: 'slow', lastEventId: null }])
    replicas.close()
    await expect(preparing).rejects.toMatchObject({
      code: 'ERR_BACKPLANE',
      message: expect.stringContaining('"slow"'),
    })
  })

  it('rejects with ERR_BACKPLANE a prepare whose load never comes, after its timeout', async () => {
    const log = createSharedLog()
    const node = log.node()
    const { replicas } = replicasOf(node, { timeout: 100 })
    node.holdLoads('hung')
    await expect(replicas.prepare([{ channel: 'hung', lastEventId: null }])).rejects.toMatchObject({
      code: 'ERR_BACKPLANE',
      message: expect.stringMatching(/"hung" within 100 ms/),
    })
  })

  it('rejects a prepare after its timeout when a lost channel is never loaded again', async () => {
    const log = createSharedLog()
    const node = log.node()
    const { replicas } = replicasOf(node, { timeout: 100 })
    await replicas.prepare([{ channel: 'gone', lastEventId: null }])
    node.lose('gone', false)
    await expect(replicas.prepare([{ channel: 'gone', lastEventId: null }])).rejects.toMatchObject({
      code: 'ERR_BACKPLANE',
    })
    // Loaded again later, it is served again.
    node.reload('gone')
    expect((await replicas.prepare([{ channel: 'gone', lastEventId: null }])).current).toBe(true)
  })

  it('loads again a channel lost while another channel of the same prepare loaded', async () => {
    const log = createSharedLog()
    const node = log.node()
    const first = await node.backplane.publish({ channel: 'a', event: undefined, json: '1' })
    const { replicas } = replicasOf(node)
    node.holdLoads('b')
    const aLoaded = node.loaded('a')
    const preparing = replicas.prepare([
      { channel: 'a', lastEventId: null },
      { channel: 'b', lastEventId: null },
    ])
    // What the prepare hands out, as it hands it out (a transport subscribes at once).
    const handed = preparing.then((prepared) => ({
      current: prepared.current,
      cursor: prepared.get('a')?.history.cursor(),
    }))
    await aLoaded
    node.lose('a', false)
    node.releaseLoads('b')
    // a is not loaded now: the prepare waits for it again rather than hand out an empty ring.
    const reloaded = node.loaded('a')
    setTimeout(() => node.reload('a'), 20)
    await reloaded
    expect(await handed).toEqual({ current: true, cursor: first })
  })

  it('refuses a channel past maxChannels with ERR_BACKPLANE, reported once until below it again', async () => {
    const log = createSharedLog()
    const node = log.node()
    const { replicas, reports } = replicasOf(node, { maxChannels: 2 })
    await replicas.prepare([
      { channel: 'a', lastEventId: null },
      { channel: 'b', lastEventId: null },
    ])
    for (const name of ['c', 'd', 'e']) {
      await expect(replicas.prepare([{ channel: name, lastEventId: null }])).rejects.toMatchObject({
        code: 'ERR_BACKPLANE',
        message: expect.stringContaining('maxChannels (2)'),
      })
    }
    // The channels it follows are still served, and nothing more is followed.
    expect((await replicas.prepare([{ channel: 'a', lastEventId: null }])).current).toBe(true)
    expect(node.following('c')).toBe(0)
    expect(reports.map((error) => error.code)).toEqual(['ERR_BACKPLANE'])
    expect(reports[0]?.message).toMatch(/maxChannels \(2\)/)
  })
})
