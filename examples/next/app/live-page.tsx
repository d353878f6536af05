'use client'
import { createLiveClient } from '@livedata/core'
import { LiveDataProvider } from '@livedata/react'
import { useState } from 'react'
import { ROUTE_TRANSPORTS } from '../lib/transports'
import { Notes } from './notes'
import { Prices } from './prices'

/**
 * The page's one live client, for the route handler at `/live` (app/live/[[...path]]/route.ts),
 * asking for the transports it serves: no WebSocket in a route handler, so SSE first.
 */
export function LivePage() {
  // Created once per page; during server rendering it is made but never connects.
  const [client] = useState(() => createLiveClient({ url: '/live', transports: ROUTE_TRANSPORTS }))
  return (
    <LiveDataProvider client={client}>
      <main>
        <h1>@livedata on Next.js</h1>
        <Prices />
        <Notes />
      </main>
    </LiveDataProvider>
  )
}
