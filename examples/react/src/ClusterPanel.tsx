import { useEffect, useState } from 'react'
import './cluster.css'

/** One request the cluster demo's proxy routed, as its `/cluster/routed` log sends it. */
interface RoutedEntry {
  node: string | null
  kind: string
  path: string
  status: number
  at: number
}

/** Entries the panel shows, newest first. */
const SHOWN = 8

/**
 * The node that served this page, when a cluster demo's proxy did (`pnpm demo:cluster`): the
 * proxy names it in a `Server-Timing` header, which a page can read of its own document. `null`
 * on the single-node demo, which sends none.
 */
function servingNode(): string | null {
  const [navigation] = performance.getEntriesByType('navigation') as PerformanceNavigationTiming[]
  return navigation?.serverTiming?.find((entry) => entry.name === 'node')?.description ?? null
}

/**
 * Only under `pnpm demo:cluster`: which node served each recent request through the proxy
 * (every client's: the page, its files, each long poll, each SSE or WebSocket connection, each
 * send), read from the proxy's routing log. Renders nothing on the single-node demo.
 */
export function ClusterPanel() {
  const [page] = useState(servingNode)
  const [entries, setEntries] = useState<RoutedEntry[]>([])

  useEffect(() => {
    if (page === null) return
    const log = new EventSource('/cluster/routed')
    log.onmessage = (event: MessageEvent<string>) => {
      const entry = JSON.parse(event.data) as RoutedEntry
      setEntries((shown) => [entry, ...shown].slice(0, SHOWN))
    }
    return () => log.close()
  }, [page])

  if (page === null) return null
  return (
    <section className="card cluster" data-testid="cluster-panel" aria-label="Cluster routing">
      <p className="cluster-title">
        Cluster · this page was served by <strong data-testid="cluster-page-node">{page}</strong>
        <span className="cluster-note">requests through the proxy, newest first</span>
      </p>
      <ol className="cluster-log">
        {entries.map((entry) => (
          <li key={`${entry.at}-${entry.kind}-${entry.path}-${entry.node}-${entry.status}`}>
            <span className="cluster-kind">{entry.kind}</span>
            <span className="cluster-path mono">{entry.path}</span>
            <span className={entry.node === null ? 'cluster-node down' : 'cluster-node'}>
              {entry.node === null ? 'no node answered' : `served by ${entry.node}`}
            </span>
          </li>
        ))}
      </ol>
    </section>
  )
}
