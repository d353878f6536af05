import {
  type Board,
  EMPTY_BOARD,
  type PriceTable,
  type Row,
  reduceBoard,
} from '@livedata/example-shared/board'
import {
  clock,
  SPARKLINE_HEIGHT,
  SPARKLINE_WIDTH,
  signed,
  sparklinePoints,
  type Trend,
  trendOf,
  usd,
} from '@livedata/example-shared/format'
import {
  type DemoSettings,
  MODES,
  pricesEndpoint,
  type TransportMode,
} from '@livedata/example-shared/settings'
import type {
  LiveDataError,
  LiveStatus,
  SourceOptions,
  TabRole,
  TransportName,
} from '@livedata/react'
import { useLiveData } from '@livedata/react'
import { useState } from 'react'
import { ClusterPanel } from './ClusterPanel'

// `satisfies`, not a type annotation: the type keeps `initialData`, so `data` is a Board.
const options = {
  initialData: EMPTY_BOARD,
  reduce: reduceBoard,
} satisfies SourceOptions<Board, PriceTable>

export function App({
  settings,
  onSettingsChange,
}: {
  settings: DemoSettings
  onSettingsChange: (settings: DemoSettings) => void
}) {
  // A new client comes with new settings, and the source is created with these options then.
  const endpoint = pricesEndpoint(settings)
  const {
    data: board,
    status,
    transport,
    attempt,
    error,
    lastEventId,
    tab,
    send,
  } = useLiveData<Board, PriceTable>('prices', { ...options, ...endpoint.source })

  return (
    <main className="page">
      <header className="header">
        <div>
          <p className="brand">@livedata</p>
          <h1>Live prices</h1>
          <p className="subtitle">
            A simulated market, four updates a second, over one connection.
          </p>
        </div>
        <div className="controls">
          <StatusBadge status={status} transport={transport} attempt={attempt} tab={tab} />
          <TransportPicker settings={settings} onChange={onSettingsChange} />
        </div>
      </header>

      {error && <ErrorBanner error={error} />}

      <section className="card">
        <table className="prices">
          <thead>
            <tr>
              <th scope="col">Symbol</th>
              <th scope="col" className="num">
                Price
              </th>
              <th scope="col" className="num">
                Change
              </th>
              <th scope="col" className="num">
                %
              </th>
              <th scope="col" className="trend-head">
                Trend
              </th>
            </tr>
          </thead>
          <tbody>
            {board.rows.length === 0 ? (
              <tr>
                <td colSpan={5} className="waiting">
                  Waiting for the first prices…
                </td>
              </tr>
            ) : (
              board.rows.map((row) => <PriceRow key={row.symbol} row={row} />)
            )}
          </tbody>
        </table>
      </section>

      <footer className="footer">
        <dl className="stats">
          <div>
            <dt>Updates</dt>
            <dd>{board.updates}</dd>
          </div>
          <div>
            <dt>Last update</dt>
            <dd>{board.time === null ? '—' : clock.format(board.time)}</dd>
          </div>
          <div>
            <dt>Last event id</dt>
            <dd className="mono">{lastEventId ?? '—'}</dd>
          </div>
        </dl>
        <PingButton send={(ping) => send(ping, endpoint.ping)} />
      </footer>

      <ClusterPanel />
    </main>
  )
}

function StatusBadge(props: {
  status: LiveStatus
  transport: TransportName | null
  attempt: number
  tab: TabRole
}) {
  return (
    <div className={`badge badge-${props.status}`} data-testid="status-badge" aria-live="polite">
      <span className="dot" aria-hidden="true" />
      <span data-testid="status">{props.status}</span>
      {props.transport && (
        <>
          <span className="sep" aria-hidden="true">
            ·
          </span>
          <span data-testid="transport">{props.transport}</span>
        </>
      )}
      {props.tab !== 'solo' && (
        <span className="attempt" data-testid="tab" title="crossTab: who holds the connection">
          {props.tab === 'leader' ? 'this tab leads' : 'via another tab'}
        </span>
      )}
      {props.attempt > 0 && (
        <span className="attempt" data-testid="attempt">
          attempt {props.attempt}
        </span>
      )}
    </div>
  )
}

function TransportPicker({
  settings,
  onChange,
}: {
  settings: DemoSettings
  onChange: (settings: DemoSettings) => void
}) {
  return (
    <div className="picker">
      <label>
        Transport{' '}
        <select
          data-testid="transport-picker"
          value={settings.mode}
          onChange={(event) => onChange({ ...settings, mode: event.target.value as TransportMode })}
        >
          {MODES.map((mode) => (
            <option key={mode} value={mode}>
              {mode === 'auto' ? 'auto (fallback)' : mode}
            </option>
          ))}
        </select>
      </label>
      <label>
        <input
          type="checkbox"
          data-testid="block-websocket"
          checked={settings.blockWebSocket}
          onChange={(event) => onChange({ ...settings, blockWebSocket: event.target.checked })}
        />{' '}
        Block WebSocket
      </label>
    </div>
  )
}

function ErrorBanner({ error }: { error: LiveDataError }) {
  return (
    <p className="error" role="alert" data-testid="error">
      <code>{error.code}</code> {error.message}
    </p>
  )
}

function PriceRow({ row }: { row: Row }) {
  const trend = trendOf(row.change)
  return (
    <tr>
      <th scope="row" className="symbol">
        {row.symbol}
      </th>
      <td
        // A new key on each move restarts the flash animation.
        key={row.moves}
        className={`num price ${row.direction ? `flash-${row.direction}` : ''}`}
        data-testid={`price-${row.symbol}`}
      >
        {usd.format(row.price)}
      </td>
      <td className={`num ${trend}`}>{signed.format(row.change)}</td>
      <td className={`num ${trend}`}>
        <span className="pill">{signed.format(row.changePercent)}%</span>
      </td>
      <td className="trend">
        <Sparkline values={row.history} trend={trend} />
      </td>
    </tr>
  )
}

function Sparkline({ values, trend }: { values: number[]; trend: Trend }) {
  const points = sparklinePoints(values)
  if (points === null)
    return (
      <svg className="spark" width={SPARKLINE_WIDTH} height={SPARKLINE_HEIGHT} aria-hidden="true" />
    )
  return (
    <svg
      className={`spark ${trend}`}
      width={SPARKLINE_WIDTH}
      height={SPARKLINE_HEIGHT}
      aria-hidden="true"
    >
      <polyline points={points} fill="none" strokeWidth="1.5" />
    </svg>
  )
}

type PingState =
  | { state: 'idle' }
  | { state: 'sending' }
  | { state: 'delivered'; ms: number }
  | { state: 'failed'; message: string }

function PingButton({ send }: { send: (data: unknown) => Promise<unknown> }) {
  const [ping, setPing] = useState<PingState>({ state: 'idle' })

  const onClick = async () => {
    const at = Date.now()
    setPing({ state: 'sending' })
    try {
      await send({ type: 'ping', at })
      setPing({ state: 'delivered', ms: Date.now() - at })
    } catch (error) {
      setPing({ state: 'failed', message: error instanceof Error ? error.message : String(error) })
    }
  }

  return (
    <div className="ping">
      <button
        type="button"
        onClick={onClick}
        disabled={ping.state === 'sending'}
        data-testid="ping"
      >
        Send ping
      </button>
      <span
        className={`ping-result ping-${ping.state}`}
        data-testid="ping-result"
        aria-live="polite"
      >
        {ping.state === 'sending' && 'Sending…'}
        {ping.state === 'delivered' && `Delivered in ${ping.ms} ms`}
        {ping.state === 'failed' && `Failed: ${ping.message}`}
      </span>
    </div>
  )
}
