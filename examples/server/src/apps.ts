import type { IncomingMessage, ServerResponse } from 'node:http'
import { fileURLToPath } from 'node:url'
import { createStaticHandler } from './static'

/** One example app the demo serves. */
export interface DemoApp {
  /** The framework, for the start-up message. */
  name: string
  /** The URL path, with slashes on both ends; the app is built with the same `base`. */
  prefix: string
  /** The folder of the built app. */
  dir: string
  /** The workspace package that builds it. */
  packageName: string
}

// src/ and dist/ both sit one level below their package (examples/server, or examples/cluster,
// which bundles this file), and the apps are their siblings.
const appDir = (name: string): string =>
  fileURLToPath(new URL(`../../${name}/dist/`, import.meta.url))

/** The apps of the demo, each a dashboard of the same ticker in another framework. */
export const DEMO_APPS: readonly DemoApp[] = [
  { name: 'React', prefix: '/', dir: appDir('react'), packageName: '@livedata/example-react' },
  { name: 'Vue', prefix: '/vue/', dir: appDir('vue'), packageName: '@livedata/example-vue' },
  {
    name: 'Svelte',
    prefix: '/svelte/',
    dir: appDir('svelte'),
    packageName: '@livedata/example-svelte',
  },
]

/**
 * Serves each built app under its prefix (the longest prefix wins, so `/vue/` before `/`);
 * `/vue` is redirected to `/vue/`, and a path no app has is a 404.
 *
 * @example
 * ```ts
 * const server = createServer(createAppsHandler(DEMO_APPS, console.log))
 * ```
 */
export function createAppsHandler(
  apps: readonly DemoApp[],
  log: (line: string) => void,
): (request: IncomingMessage, response: ServerResponse) => void {
  const mounts = [...apps]
    .sort((a, b) => b.prefix.length - a.prefix.length)
    .map((app) => ({
      prefix: app.prefix,
      serve: createStaticHandler(app.dir, {
        prefix: app.prefix,
        buildHint: `pnpm --filter ${app.packageName} build`,
      }),
    }))

  return (request, response) => {
    const path = (request.url ?? '/').split('?')[0] as string
    // /vue is /vue/: relative asset URLs need the trailing slash.
    const bare = mounts.find((mount) => mount.prefix !== '/' && `${path}/` === mount.prefix)
    if (bare) {
      response.writeHead(308, { Location: bare.prefix })
      response.end()
      return
    }
    const mount = mounts.find((candidate) => path.startsWith(candidate.prefix))
    if (!mount) {
      response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' })
      response.end('Not found')
      return
    }
    mount.serve(request, response).catch((error: unknown) => {
      log(`[demo] ${request.url} failed: ${error instanceof Error ? error.message : String(error)}`)
      if (!response.headersSent) response.writeHead(500)
      response.end()
    })
  }
}
