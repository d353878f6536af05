/**
 * Whether this is the development build: `true` in the default build, `false` in the one
 * package.json serves under the `production` condition (Vite's and webpack's production builds).
 * What only development needs is left out of the latter: `client.inspect()` with every report site,
 * and the warning about a source asked for again with other options. Set by tsup's and vitest's
 * `define`. See docs/decisions/inspector.md.
 */
declare const __DEV__: boolean
