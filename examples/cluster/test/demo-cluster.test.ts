import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
// Relative: @livedata/test-chromium is no dependency of this package (see the report of issue 12).
import { describeInChromium, launchChromium } from '@livedata/test-chromium'
import { describeWithRedis } from '@livedata/test-redis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { readSse } from './sse-reader'

const LAUNCHER = fileURLToPath(new URL('../dist/index.js', import.meta.url))
const REACT_INDEX = fileURLToPath(new URL('../../react/dist/index.html', import.meta.url))

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()))
    })
  })
}

/** `pnpm demo:cluster`'s launcher as a process, with every line it printed. */
function launch(env: Record<string, string>) {
  const child = spawn(process.execPath, [LAUNCHER], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const out: string[] = []
  const err: string[] = []
  const waiting = new Set<() => void>()
  const listen = (stream: NodeJS.ReadableStream, lines: string[]) =>
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line)
      for (const wake of waiting) wake()
    })
  listen(child.stdout as NodeJS.ReadableStream, out)
  listen(child.stderr as NodeJS.ReadableStream, err)
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  return {
    child,
    out,
    err,
    exited,
    /** Resolves with the first printed line matching `pattern`; rejects if it exits first. */
    line(pattern: RegExp): Promise<RegExpExecArray> {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          for (const line of out) {
            const match = pattern.exec(line)
            if (match) {
              waiting.delete(check)
              return resolve(match)
            }
          }
        }
        waiting.add(check)
        check()
        void exited.then(([code]) =>
          reject(new Error(`the launcher exited (${code}): ${[...out, ...err].join('\n')}`)),
        )
      })
    },
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describeWithRedis('pnpm demo:cluster', () => {
  let demo: ReturnType<typeof launch>
  let url: string

  beforeAll(async () => {
    const port = await freePort()
    demo = launch({ PORT: String(port), HOST: '127.0.0.1' })
    url = (await demo.line(/running at (http:\S+)/))[1] as string
    await demo.line(/Ctrl-C stops everything/)
  })

  // Stopped as a user would (Ctrl-C) if a test failed before the last one did: a SIGKILL would
  // leave its redis-server and nodes running.
  afterAll(async () => {
    if (!demo || demo.child.exitCode !== null || demo.child.signalCode !== null) return
    demo.child.kill('SIGINT')
    const timer = setTimeout(() => demo.child.kill('SIGKILL'), 10_000)
    await demo.exited
    clearTimeout(timer)
  })

  it('prints the URL on the port asked for, and what runs where', () => {
    expect(new URL(url).port).not.toBe('')
    const layout = demo.out.join('\n')
    for (const name of ['proxy', 'node-1', 'node-2', 'node-3', 'ticker', 'redis']) {
      expect(layout).toMatch(new RegExp(`^  ${name} .*`, 'm'))
    }
    expect(layout).toMatch(/redis:\/\/127\.0\.0\.1:\d+/)
  })

  it('serves the page from the nodes in turn: X-Served-By takes every node', async () => {
    const servedBy = new Set<string>()
    for (let i = 0; i < 6; i++) {
      const response = await fetch(url)
      expect(response.status).toBe(200)
      expect(await response.text()).toContain('<div id="root">')
      servedBy.add(response.headers.get('x-served-by') ?? '')
      expect(response.headers.get('server-timing')).toBe(
        `node;desc="${response.headers.get('x-served-by')}"`,
      )
    }
    expect([...servedBy].sort()).toEqual(['node-1', 'node-2', 'node-3'])
  })

  it('the routing log (/cluster/routed) streams each routed request with its node and kind', async () => {
    const log = await readSse(new URL('/cluster/routed', url).href)
    expect(log.response.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const response = await fetch(new URL('/live/prices?transport=polling', url))
    expect(response.status).toBe(200)
    const node = response.headers.get('x-served-by')
    expect(node).toMatch(/^node-\d$/)
    const { data: entry } = await log.find(
      (event) => (event.data as { kind?: unknown }).kind === 'polling',
    )
    expect(entry).toMatchObject({ node, path: '/live/prices', status: 200, method: 'GET' })
    log.close()
  })

  it('the prices published by the one ticker reach a client through every node', async () => {
    // Three polls in a row land on three nodes; each is owed what the ticker published since.
    const first = (await (await fetch(new URL('/live/prices?transport=polling', url))).json()) as {
      cursor: string
    }
    const nodes = new Set<string>()
    let cursor = first.cursor
    while (nodes.size < 3) {
      const response = await fetch(
        new URL(`/live/prices?transport=long-polling&lastEventId=${cursor}`, url),
      )
      const body = (await response.json()) as {
        messages: Array<{ id: string; data: { quotes: unknown[] } }>
        gap: boolean
      }
      expect(body.gap).toBe(false)
      expect(body.messages.length).toBeGreaterThan(0)
      expect(body.messages[0]?.data.quotes).toHaveLength(6)
      cursor = body.messages.at(-1)?.id as string
      nodes.add(response.headers.get('x-served-by') ?? '')
    }
  })

  describeInChromium('the React dashboard under the cluster', () => {
    it('shows which node served the page and each request', async () => {
      if (!existsSync(REACT_INDEX)) {
        throw new Error(
          `The React app is not built (no ${REACT_INDEX}): run pnpm --filter @livedata/example-react build, or pnpm demo:cluster, which builds it first.`,
        )
      }
      const browser = await launchChromium()
      try {
        const page = await browser.newPage()
        page.setDefaultTimeout(20_000)
        const pageErrors: string[] = []
        page.on('pageerror', (error) => pageErrors.push(error.message))
        // Long polling: each poll is a request of its own, routed to the next node.
        await page.goto(new URL('/?transport=long-polling', url).href)
        await page.waitForFunction(() =>
          /\d/.test(document.querySelector('[data-testid="price-AAPL"]')?.textContent ?? ''),
        )
        const pageNode = await page.getByTestId('cluster-page-node').textContent()
        expect(pageNode).toMatch(/^node-[123]$/)
        // The panel names the node of the page's long polls as they come.
        await page.waitForFunction(() => {
          const rows = [...document.querySelectorAll('[data-testid="cluster-panel"] li')]
          const served = rows
            .filter((row) => row.textContent?.includes('long-polling'))
            .map((row) => /served by (node-\d)/.exec(row.textContent ?? '')?.[1])
          return new Set(served.filter(Boolean)).size >= 2
        })
        expect(pageErrors).toEqual([])
      } finally {
        await browser.close()
      }
    })
  })

  it('Ctrl-C stops everything: the nodes, the ticker, redis-server and its directory', async () => {
    const pids = demo.out.flatMap((line) => {
      const pid = /\(.*pid (\d+)\)$/.exec(line)?.[1]
      return pid === undefined ? [] : [Number(pid)]
    })
    // The proxy (this launcher), three nodes, the ticker and redis-server.
    expect(pids).toHaveLength(6)
    const dir = /no persistence, in (\S+)/.exec(demo.out.join('\n'))?.[1] as string
    expect(existsSync(dir)).toBe(true)
    for (const pid of pids) expect(alive(pid)).toBe(true)
    demo.child.kill('SIGINT')
    const [code] = await demo.exited
    expect(code).toBe(0)
    expect(pids.filter(alive)).toEqual([])
    expect(existsSync(dir)).toBe(false)
  })
})

it('without redis-server, it says how to install it and exits 1', async () => {
  const port = await freePort()
  const demo = launch({
    PORT: String(port),
    HOST: '127.0.0.1',
    REDIS_SERVER_PATH: '/nonexistent/redis-server',
  })
  const [code] = await demo.exited
  expect(code).toBe(1)
  expect(demo.err.join('\n')).toMatch(/apt-get install -y redis-server.*brew install redis/)
  expect(demo.out).toEqual([])
})
