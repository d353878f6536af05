import { existsSync } from 'node:fs'
import { type Browser, chromium } from 'playwright-core'
import { describe } from 'vitest'

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const hasChromium = existsSync(executablePath)
const inCi = Boolean(process.env.CI)
let warned = false

/**
 * Launches Debian's Chromium headless, with the flags this machine's closed network needs.
 *
 * @example
 * ```ts
 * const browser = await launchChromium()
 * const page = await browser.newPage()
 * ```
 */
export function launchChromium(): Promise<Browser> {
  if (!hasChromium) {
    throw new Error(
      `This browser test needs Chromium and there is none at ${executablePath}: run apt-get install -y chromium, or set CHROMIUM_PATH.`,
    )
  }
  return chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
}

/**
 * `describe`, skipped with a loud warning locally when there is no Chromium; in CI
 * (`CI=true`) it runs, and fails.
 *
 * @example
 * ```ts
 * describeInChromium('the React demo', () => { it('shows prices', async () => { … }) })
 * ```
 */
export function describeInChromium(title: string, body: () => void): void {
  const skip = !hasChromium && !inCi
  if (skip && !warned) {
    warned = true
    console.warn(
      `\n!!! Skipping browser tests ("${title}" and others): no Chromium at ${executablePath}.\n!!! Install it with: apt-get install -y chromium (or set CHROMIUM_PATH). In CI these tests fail instead.\n`,
    )
  }
  describe.skipIf(skip)(title, body)
}
