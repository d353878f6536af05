import { createLiveServer } from '@livedata/server'
import {
  type ConformanceFixture,
  createConformanceFixture,
} from '@livedata/server-conformance/fixture'

/**
 * The transports a route handler can serve, all judged by the conformance suite: every HTTP
 * one, the iframe too (the demo's page asks for three of them).
 */
export const CONFORMANCE_TRANSPORTS = ['sse', 'long-polling', 'polling', 'iframe'] as const

const holder = globalThis as typeof globalThis & { __livedataConformance?: ConformanceFixture }

/** The process's one conformance fixture, created on first use. */
export function conformanceFixture(): ConformanceFixture {
  holder.__livedataConformance ??= createConformanceFixture(createLiveServer, {
    transports: CONFORMANCE_TRANSPORTS,
  })
  return holder.__livedataConformance
}
