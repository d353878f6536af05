import { fileURLToPath } from 'node:url'
import { build, type Plugin } from 'esbuild'

// The renders section's page (renders-page.tsx) as one script for the browser, bundled by esbuild
// in memory from bench/src (the built dist/ of @livedata/core and @livedata/react, React 19).

const bench = fileURLToPath(new URL('..', import.meta.url))

/**
 * React's production build does not call a <Profiler>'s onRender; its profiling build, the same
 * code with the commit timers on, does: `react-dom/client` becomes `react-dom/profiling`.
 */
const profilingReactDom: Plugin = {
  name: 'profiling-react-dom',
  setup(build) {
    build.onResolve({ filter: /^react-dom\/client$/ }, (args) =>
      build.resolve('react-dom/profiling', { kind: args.kind, resolveDir: args.resolveDir }),
    )
  },
}

/**
 * The page's script: minified, `process.env.NODE_ENV` = `"production"`, with React's profiling
 * build.
 *
 * @example
 * ```ts
 * const script = await bundleRendersPage() // serve it as text/javascript
 * ```
 */
export async function bundleRendersPage(): Promise<string> {
  const result = await build({
    entryPoints: ['src/renders-page.tsx'],
    absWorkingDir: bench,
    bundle: true,
    write: false,
    minify: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    plugins: [profilingReactDom],
    logLevel: 'silent',
  })
  const code = result.outputFiles[0]?.text
  if (code === undefined) throw new Error('esbuild wrote no output for the renders page')
  return code
}
