import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { printTable } from './table'

// Bundle sizes: what an app pays in the browser for @livedata and for the client libraries it is
// compared with. Each row is a one-line entry file (`import { x } from '…'; console.log(x)`, the
// entry size-limit writes for `"import"`), bundled by esbuild for the browser (ESM, minified,
// tree-shaken, as a production build: NODE_ENV and the `production` condition) and gzipped at
// level 9 with node:zlib, as @size-limit/file does. Our rows bundle the built dist/ files
// .size-limit.json points at. A binding's row is what it adds to an app
// that already has the core: the core's entry and the binding's in one bundle (the framework
// external), less the core's entry alone. Everything is in memory: well under a second.

const bench = fileURLToPath(new URL('..', import.meta.url))
const root = fileURLToPath(new URL('../..', import.meta.url))

export interface Entry {
  library: string
  /** The named imports (or `default`), as an app would write them. */
  imports: string
  /** Module specifier (resolved from bench/) or a path relative to the repository root. */
  from: string
  /** Specifiers left out of the bundle (a binding's framework). */
  external?: string[]
  /** Measured as the bytes it adds to the core's entry (a binding). */
  onTopOfCore?: boolean
  /** The issue's target in bytes (1 kB = 1000 B, as size-limit counts), for our rows. */
  target?: number
  /** A row the ratios are computed from. */
  ours?: 'core' | 'sse'
}

const entries: Entry[] = [
  {
    library: '@livedata/core',
    imports: '{ createLiveClient } (all transports)',
    from: 'packages/core/dist/production/index.js',
    target: 6000,
    ours: 'core',
  },
  {
    library: '@livedata/core/base',
    imports: '{ createLiveClient, sse } (SSE only)',
    from: 'packages/core/dist/production/base.js',
    target: 3000,
    ours: 'sse',
  },
  {
    library: '@livedata/react (on top)',
    imports: '{ LiveDataProvider, useLiveData }',
    from: 'packages/react/dist/index.js',
    external: ['react', 'react/*'],
    onTopOfCore: true,
    target: 1000,
  },
  {
    library: '@livedata/vue (on top)',
    imports: '{ createLiveData, useLiveData }',
    from: 'packages/vue/dist/index.js',
    external: ['vue'],
    onTopOfCore: true,
    target: 1000,
  },
  {
    library: '@livedata/svelte (on top)',
    imports: '{ liveData, setLiveClient }',
    from: 'packages/svelte/dist/index.js',
    external: ['svelte', 'svelte/*'],
    onTopOfCore: true,
    target: 1000,
  },
  { library: 'socket.io-client', imports: '{ io }', from: 'socket.io-client' },
  { library: 'sockjs-client', imports: 'default (SockJS)', from: 'sockjs-client' },
  {
    library: '@microsoft/signalr',
    imports: '{ HubConnectionBuilder }',
    from: '@microsoft/signalr',
  },
  { library: 'centrifuge', imports: '{ Centrifuge }', from: 'centrifuge' },
  { library: 'phoenix', imports: '{ Socket }', from: 'phoenix' },
  {
    library: '@microsoft/fetch-event-source',
    imports: '{ fetchEventSource }',
    from: '@microsoft/fetch-event-source',
  },
]

export interface Measured {
  entry: Entry
  min: number
  gzip: number
}

/** The entry file's source: the import an app would write, and a use so it is not shaken off. */
function entrySource(entry: Entry): string {
  const from = entry.from.startsWith('packages/') ? `${root}${entry.from}` : entry.from
  const names = entry.imports.startsWith('default')
    ? ['lib']
    : entry.imports
        .replace(/\(.*\)/, '')
        .replace(/[{}]/g, '')
        .split(',')
        .map((name) => name.trim())
  const clause = entry.imports.startsWith('default') ? 'lib' : `{ ${names.join(', ')} }`
  return `import ${clause} from ${JSON.stringify(from)}\nconsole.log(${names.join(', ')})\n`
}

/** Bundles `source` (resolved from bench/), minified, and returns its bytes and gzipped bytes. */
async function bundle(source: string, external: string[]): Promise<{ min: number; gzip: number }> {
  const result = await build({
    stdin: { contents: source, resolveDir: bench, loader: 'js' },
    bundle: true,
    write: false,
    minify: true,
    treeShaking: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    define: { 'process.env.NODE_ENV': '"production"' },
    // As Vite's and webpack's production builds resolve: @livedata/core's production build,
    // without client.inspect() (docs/decisions/inspector.md).
    conditions: ['production'],
    external,
    logLevel: 'silent',
  })
  const code = result.outputFiles[0]?.contents
  if (code === undefined) throw new Error('esbuild wrote no output')
  return { min: code.byteLength, gzip: gzipSync(code, { level: 9 }).byteLength }
}

async function measure(entry: Entry, core: Entry): Promise<Measured> {
  const external = entry.external ?? []
  if (!entry.onTopOfCore) return { entry, ...(await bundle(entrySource(entry), external)) }
  const alone = await bundle(entrySource(core), external)
  const both = await bundle(entrySource(core) + entrySource(entry), external)
  return { entry, min: both.min - alone.min, gzip: both.gzip - alone.gzip }
}

const bytes = (n: number) => n.toLocaleString('en-US')
const kB = (n: number) => `${(n / 1000).toFixed(2)} kB`
const ratio = (ours: number | undefined, theirs: number) =>
  ours === undefined ? '' : `${(ours / theirs).toFixed(2)}×`

/** Bundles every entry, prints one table, and returns the measurements. */
export async function bundleSizesSection(): Promise<Measured[]> {
  console.log('\nBundle sizes: esbuild for the browser, minified, gzip level 9\n')
  const started = performance.now()
  const coreEntry = entries.find((entry) => entry.ours === 'core')
  if (coreEntry === undefined) throw new Error('no core entry')
  const measured: Measured[] = []
  // One at a time: esbuild uses both cores for each build already.
  for (const entry of entries) measured.push(await measure(entry, coreEntry))
  const core = measured.find((m) => m.entry.ours === 'core')?.gzip
  const sse = measured.find((m) => m.entry.ours === 'sse')?.gzip
  const rows = measured.map(({ entry, min, gzip }) => {
    const target =
      entry.target === undefined
        ? ''
        : `≤ ${kB(entry.target)}${gzip <= entry.target ? ' met' : ` +${bytes(gzip - entry.target)}`}`
    const isOurs = entry.from.startsWith('packages/')
    return [
      entry.library,
      entry.imports,
      bytes(min),
      bytes(gzip),
      target,
      isOurs ? '' : ratio(core, gzip),
      isOurs ? '' : ratio(sse, gzip),
    ]
  })
  printTable(
    ['library', 'imports', 'min B', 'min+gz B', 'target (min+gz)', 'core ÷', 'SSE-only ÷'],
    rows,
    new Set([2, 3, 5, 6]),
  )
  console.log(
    [
      '',
      "core ÷, SSE-only ÷: our min+gz (every transport; the SSE-only app) ÷ that library's.",
      "Method as size-limit's (.size-limit.json, `pnpm size`): the same entries, esbuild, gzip 9.",
      'Core rows: size-limit shows ~45 B less (it subtracts its empty entry, 46 B gz; esbuild 0.28).',
      'Binding rows: what the binding adds to a bundle that has the core (framework external);',
      'size-limit bundles the binding alone with the core external and keeps the references to its',
      'imports, so it shows ~50-100 B (15-25 %) more for a binding. Same budgets either way.',
      `Took ${((performance.now() - started) / 1000).toFixed(1)} s.`,
    ].join('\n'),
  )
  return measured
}
