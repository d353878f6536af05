import { existsSync } from 'node:fs'
import { type Browser, chromium } from 'playwright-core'
import { describe } from 'vitest'

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const hasChromium = existsSync(executablePath)
const inCi = Boolean(process.env.CI)

if (!hasChromium && !inCi) {
  console.warn(
    `\n!!! Skipping the Next.js demo's browser tests: no Chromium at ${executablePath}.\n!!! Install it with: apt-get install -y chromium (or set CHROMIUM_PATH). In CI these tests fail instead.\n`,
  )
}

/** Launches Debian's Chromium headless, with the flags this machine's closed network needs. */
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

/** `describe`, skipped (loudly, above) without Chromium locally; in CI it runs and fails. */
export function describeInChromium(title: string, body: () => void): void {
  describe.skipIf(!hasChromium && !inCi)(title, body)
}
