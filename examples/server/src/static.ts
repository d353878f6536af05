import { readFile, realpath, stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, resolve, sep } from 'node:path'

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
}

function answer(response: ServerResponse, status: number, text: string, headers = {}): void {
  response.writeHead(status, {
    ...headers,
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
  })
  response.end(text)
}

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR'
}

/** Options of {@link createStaticHandler}. */
export interface StaticOptions {
  /** The URL path the files are served under, with slashes on both ends. Default `/`. */
  prefix?: string
  /** The command that builds the files, shown when they are missing. */
  buildHint?: string
}

/**
 * Serves the files under `root` for GET and HEAD: `/` is `index.html`, nothing outside `root`
 * is ever read (`..`, encoded slashes and symlinks pointing out are all refused), and each file
 * goes out with its content type. Vite's hashed `/assets/` are cached for good, the rest revalidated.
 *
 * @example
 * ```ts
 * const server = createServer(createStaticHandler('examples/react/dist'))
 * ```
 */
export function createStaticHandler(
  root: string,
  options: StaticOptions = {},
): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  const prefix = options.prefix ?? '/'
  const rootPath = resolve(root)
  let realRoot: Promise<string> | null = null

  return async (request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return answer(response, 405, 'Only GET and HEAD are served here', { Allow: 'GET, HEAD' })
    }
    let pathname: string
    try {
      pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname)
    } catch {
      return answer(response, 400, 'Malformed URL')
    }
    if (pathname.includes('\0')) return answer(response, 400, 'Malformed URL')
    if (!pathname.startsWith(prefix)) return answer(response, 404, 'Not found')
    pathname = pathname.slice(prefix.length - 1)
    if (pathname.endsWith('/')) pathname += 'index.html'

    const file = resolve(rootPath, `.${pathname}`)
    if (!file.startsWith(rootPath + sep)) return answer(response, 404, 'Not found')
    try {
      realRoot ??= realpath(rootPath)
      const base = await realRoot
      const real = await realpath(file)
      // A symlink inside root may point anywhere; only what really lies under root is served.
      if (!real.startsWith(base + sep)) return answer(response, 404, 'Not found')
      const info = await stat(real)
      if (!info.isFile()) return answer(response, 404, 'Not found')
      const body = await readFile(real)
      response.writeHead(200, {
        'Content-Type': CONTENT_TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream',
        'Content-Length': body.length,
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': pathname.startsWith('/assets/')
          ? 'public, max-age=31536000, immutable'
          : 'no-cache',
      })
      response.end(request.method === 'HEAD' ? undefined : body)
    } catch (error) {
      realRoot = null
      if (!isNotFound(error)) throw error
      if (pathname === '/index.html') {
        return answer(
          response,
          503,
          `The demo app is not built (no ${file}). Run: ${options.buildHint ?? 'pnpm demo'}`,
        )
      }
      answer(response, 404, 'Not found')
    }
  }
}
