import { startDemoServer } from './server'

const port = Number(process.env.PORT ?? 3000)
const host = process.env.HOST ?? 'localhost'

if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`PORT must be a port number (0 to 65535), got "${process.env.PORT}"`)
  process.exit(1)
}

try {
  const demo = await startDemoServer({ port, host })
  console.log(`@livedata demo running at ${demo.url}`)
  for (const app of demo.apps) console.log(`  ${app.name.padEnd(7)} ${app.url}`)
  const stop = (): void => {
    // A second Ctrl-C gets the default behaviour: exit at once.
    demo.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
} catch (error) {
  const reason = error instanceof Error ? error.message : String(error)
  console.error(`@livedata demo could not start on ${host}:${port}: ${reason}`)
  process.exit(1)
}
