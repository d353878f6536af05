import { bindInspector } from '@livedata/example-shared/inspector'
import {
  createDemoClient,
  type DemoSettings,
  readSettings,
  writeSettings,
} from '@livedata/example-shared/settings'
import { LiveDataProvider } from '@livedata/react'
import { StrictMode, useEffect, useState } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App'
import '@livedata/example-shared/styles.css'

function Root() {
  const [settings, setSettings] = useState(readSettings)
  const [client, setClient] = useState(() => createDemoClient(settings))
  // The Inspector switch (@livedata/devtools) follows the current client.
  useEffect(() => bindInspector(client), [client])

  // Closed here, in the event, not in an effect: StrictMode runs effects twice.
  const change = (next: DemoSettings) => {
    client.close()
    setClient(createDemoClient(next))
    setSettings(next)
    writeSettings(next)
  }

  return (
    <LiveDataProvider client={client}>
      <App settings={settings} onSettingsChange={change} />
    </LiveDataProvider>
  )
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Root />
  </StrictMode>,
)
