// pnpm demo:cluster: the demo on three nodes behind a round-robin proxy, on a Redis of its own.
import { startDemoCluster } from './demo-cluster'
import { RedisServerMissingError } from './redis-server'

const port = Number(process.env.PORT ?? 3000)
const host = process.env.HOST ?? 'localhost'

if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`PORT must be a port number (0 to 65535), got "${process.env.PORT}"`)
  process.exit(1)
}

try {
  const cluster = await startDemoCluster({ port, host })
  console.log(`@livedata cluster demo running at ${cluster.url}`)
  for (const line of cluster.layout) console.log(`  ${line}`)
  console.log('Ctrl-C stops everything.')
  const stop = (): void => {
    // A second Ctrl-C gets the default behaviour: exit at once (the children go with it).
    cluster.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
} catch (error) {
  if (error instanceof RedisServerMissingError) console.error(error.message)
  else {
    const reason = error instanceof Error ? error.message : String(error)
    console.error(`@livedata cluster demo could not start on ${host}:${port}: ${reason}`)
  }
  process.exit(1)
}
