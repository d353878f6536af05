// The page of the renders section, bundled by esbuild (renders-bundle.ts) and run in Chromium:
// one component that shows how many messages of one channel its source folded, through
// @livedata/react's useLiveData, under a <Profiler> that counts React's commits of it. The query
// names the transport and the channel; `window.commits` is what the bench reads.
import { createLiveClient, type TransportName } from '@livedata/core'
import { LiveDataProvider, useLiveData } from '@livedata/react'
import { Profiler } from 'react'
import { createRoot } from 'react-dom/client'

const query = new URLSearchParams(location.search)
const transport = (query.get('transport') ?? 'websocket') as TransportName
const channel = query.get('channel') ?? 'renders'
const client = createLiveClient({ url: '/live', transports: [transport] })
const page = window as unknown as { commits: number }
page.commits = 0

function Count() {
  const { data, status } = useLiveData<number, unknown>(channel, {
    initialData: 0,
    reduce: (count) => count + 1,
  })
  return (
    <p id="count" data-status={status}>
      {data}
    </p>
  )
}

const root = document.getElementById('root')
if (!root) throw new Error('the page has no #root')
createRoot(root).render(
  <LiveDataProvider client={client}>
    <Profiler
      id="count"
      onRender={() => {
        page.commits++
      }}
    >
      <Count />
    </Profiler>
  </LiveDataProvider>,
)
