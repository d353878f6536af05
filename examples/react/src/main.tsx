import { createLiveClient } from '@livedata/core'
import { LiveDataProvider } from '@livedata/react'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App'
import './styles.css'

// Relative: the app is served by the demo server, which answers /live on the same origin.
const client = createLiveClient({ url: '/live' })

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <LiveDataProvider client={client}>
      <App />
    </LiveDataProvider>
  </StrictMode>,
)
