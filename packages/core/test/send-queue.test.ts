import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { globalTimers } from '../src/environment'
import { LiveDataError } from '../src/errors'
import { createSendQueue, type Deliver } from '../src/send-queue'

// The send queue on its own: order, bound and deadlines (fake timers: the deadlines are timers).

function setup(max = 3, timeout = 1000) {
  let waiting = true
  let closed = false
  const delivered: string[] = []
  const answers: Array<{ text: string; resolve(ack: unknown): void; reject(e: unknown): void }> = []
  const deliver: Deliver = (_data, text) =>
    new Promise((resolve, reject) => {
      delivered.push(text)
      answers.push({ text, resolve, reject })
    })
  const queue = createSendQueue(
    globalTimers,
    timeout,
    max,
    () => waiting,
    () => closed,
    deliver,
  )
  return {
    queue,
    delivered,
    answers,
    /** The connection opened (or closed): nothing to wait for any more. */
    ready() {
      waiting = false
      void queue.flush()
    },
    close() {
      closed = true
    },
    /** Answers every delivered send in turn, as a server would. */
    async answerAll() {
      for (let i = 0; i < 100 && answers.length > 0; i++) {
        answers.shift()!.resolve('ack')
        await vi.advanceTimersByTimeAsync(0)
      }
    },
  }
}

const send = (queue: ReturnType<typeof setup>['queue'], text: string) =>
  queue.send(text, text, undefined)

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('send queue', () => {
  it('delivers at once when nothing is to wait for', async () => {
    const s = setup()
    s.ready()
    const done = send(s.queue, 'a')
    expect(s.delivered).toEqual(['a'])
    s.answers[0]!.resolve('ack')
    await expect(done).resolves.toBe('ack')
  })

  it('holds sends while waiting, then delivers them in order, one after the other', async () => {
    const s = setup()
    const results = ['a', 'b', 'c'].map((text) => send(s.queue, text))
    expect(s.delivered).toEqual([])
    s.ready()
    await vi.advanceTimersByTimeAsync(0)
    // The next one goes only once the previous one was answered.
    expect(s.delivered).toEqual(['a'])
    await s.answerAll()
    expect(s.delivered).toEqual(['a', 'b', 'c'])
    await expect(Promise.all(results)).resolves.toEqual(['ack', 'ack', 'ack'])
  })

  it('puts a send made while the queue drains behind the ones that waited', async () => {
    const s = setup()
    const a = send(s.queue, 'a')
    s.ready()
    await vi.advanceTimersByTimeAsync(0)
    const b = send(s.queue, 'b')
    expect(s.delivered).toEqual(['a'])
    await s.answerAll()
    expect(s.delivered).toEqual(['a', 'b'])
    await expect(Promise.all([a, b])).resolves.toEqual(['ack', 'ack'])
  })

  it('refuses a send past maxQueuedSends at once with ERR_SEND_QUEUE_FULL', async () => {
    const s = setup(2)
    const held = [send(s.queue, 'a'), send(s.queue, 'b')]
    await expect(send(s.queue, 'c')).rejects.toMatchObject({ code: 'ERR_SEND_QUEUE_FULL' })
    s.ready()
    await s.answerAll()
    expect(s.delivered).toEqual(['a', 'b'])
    await expect(Promise.all(held)).resolves.toEqual(['ack', 'ack'])
  })

  it('fails a send that waited sendTimeout with ERR_SEND_TIMEOUT and frees its place', async () => {
    const s = setup(1, 1000)
    const a = send(s.queue, 'a')
    const failed = expect(a).rejects.toMatchObject({ code: 'ERR_SEND_TIMEOUT' })
    await vi.advanceTimersByTimeAsync(999)
    await expect(send(s.queue, 'x')).rejects.toMatchObject({ code: 'ERR_SEND_QUEUE_FULL' })
    await vi.advanceTimersByTimeAsync(1)
    await failed
    const b = send(s.queue, 'b')
    s.ready()
    await s.answerAll()
    expect(s.delivered).toEqual(['b'])
    await expect(b).resolves.toBe('ack')
  })

  it('stops the deadline once a send is handed over: its own answer decides', async () => {
    const s = setup(3, 1000)
    const a = send(s.queue, 'a')
    s.ready()
    await vi.advanceTimersByTimeAsync(5000)
    expect(s.delivered).toEqual(['a'])
    s.answers[0]!.resolve('late ack')
    await expect(a).resolves.toBe('late ack')
  })

  it('fails the one send whose delivery failed, and goes on with the next', async () => {
    const s = setup()
    const a = send(s.queue, 'a')
    const b = send(s.queue, 'b')
    s.ready()
    await vi.advanceTimersByTimeAsync(0)
    const refused = new LiveDataError('ERR_SEND_FAILED', 'no')
    s.answers.shift()!.reject(refused)
    await expect(a).rejects.toBe(refused)
    await s.answerAll()
    await expect(b).resolves.toBe('ack')
  })

  it('tries a send whose answer was lost again, with its key, in its place before later sends', async () => {
    const keys: Array<string | undefined> = []
    const texts: string[] = []
    let waiting = false
    const answers: Array<{ resolve(ack: unknown): void; reject(e: unknown): void }> = []
    const queue = createSendQueue(
      globalTimers,
      1000,
      3,
      () => waiting,
      () => false,
      (_data, text, _event, key) =>
        new Promise((resolve, reject) => {
          texts.push(text)
          keys.push(key)
          answers.push({ resolve, reject })
        }),
    )
    const a = queue.send('a', 'a', undefined, 'key-a')
    const b = queue.send('b', 'b', undefined, 'key-b')
    await vi.advanceTimersByTimeAsync(0)
    // Both went out at once; the connection goes before either is answered.
    waiting = true
    for (const answer of answers.splice(0)) {
      answer.reject(new LiveDataError('ERR_CONNECTION_LOST', 'The WebSocket closed'))
    }
    await vi.advanceTimersByTimeAsync(0)
    const c = queue.send('c', 'c', undefined, 'key-c')
    waiting = false
    void queue.flush()
    for (let i = 0; i < 3; i++) {
      await vi.advanceTimersByTimeAsync(0)
      answers.shift()?.resolve('ack')
    }
    await expect(Promise.all([a, b, c])).resolves.toEqual(['ack', 'ack', 'ack'])
    expect(texts).toEqual(['a', 'b', 'a', 'b', 'c'])
    expect(keys).toEqual(['key-a', 'key-b', 'key-a', 'key-b', 'key-c'])
  })

  it('settles a send the server refused: it is not tried again', async () => {
    const s = setup()
    const a = send(s.queue, 'a')
    s.ready()
    await vi.advanceTimersByTimeAsync(0)
    const refused = new LiveDataError('ERR_SEND_FAILED', 'no', { status: 403, retryable: false })
    s.answers.shift()!.reject(refused)
    await expect(a).rejects.toBe(refused)
    await vi.advanceTimersByTimeAsync(5000)
    expect(s.delivered).toEqual(['a'])
  })

  it('fails what is flushed after the client closed with ERR_CLOSED, without delivering it', async () => {
    const s = setup()
    const a = send(s.queue, 'a')
    s.close()
    s.ready()
    await expect(a).rejects.toMatchObject({ code: 'ERR_CLOSED' })
    expect(s.delivered).toEqual([])
  })
})
