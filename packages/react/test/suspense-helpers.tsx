// What the Suspense tests share: an error boundary and a wait for a source to open.
import type { LiveClient } from '@livedata/core'
import { waitFor } from '@testing-library/react'
import { Component, type ReactNode } from 'react'
import { expect } from 'vitest'
import { isLiveDataError } from '../src/index'

interface BoundaryProps {
  children: ReactNode
  /** Called by the boundary's "retry" button before it renders its children again. */
  onRetry?: () => void
}

/** An error boundary that shows the error's code and `serverCode`, and a button that resets it. */
export class ErrorBoundary extends Component<BoundaryProps, { error: unknown }> {
  override state: { error: unknown } = { error: null }

  static getDerivedStateFromError(error: unknown) {
    return { error }
  }

  override render() {
    const { error } = this.state
    if (error === null) return this.props.children
    const text = isLiveDataError(error)
      ? `${error.code} ${error.serverCode ?? ''}`.trim()
      : String(error)
    return (
      <button
        type="button"
        data-testid="caught"
        onClick={() => {
          this.props.onRetry?.()
          this.setState({ error: null })
        }}
      >
        {text}
      </button>
    )
  }
}

/** Waits until `channel`'s source on `client` is open: a publish from now on reaches it. */
export async function waitForOpen(client: LiveClient, channel: string): Promise<void> {
  await waitFor(() => expect(client.source(channel).getSnapshot().status).toBe('open'))
}
