// @vitest-environment jsdom
import { createLiveClient, type LiveClient } from '@livedata/core'
import { LiveDataProvider, useLiveData } from '@livedata/react'
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { useState } from 'react'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { socketIo } from '../src/index'
import { lines, ROOM } from './room'
import { startSocketIoServer, type TestSocketIoServer } from './socket-io-server'

let server: TestSocketIoServer
let client: LiveClient
let options: ReturnType<typeof lines>

beforeEach(async () => {
  server = await startSocketIoServer()
  // Every `say` is told to the room, as a classic chat backend does: no acknowledgement.
  server.io.on('connection', (socket) =>
    socket.on('say', (text: string) => server.io.emit(ROOM, { from: socket.id, text })),
  )
  client = createLiveClient({ register: [socketIo], disconnectDelay: 10 })
  options = lines(server.url)
})

afterEach(async () => {
  cleanup()
  client.close()
  await server.close()
})

function Chat() {
  const { data, status, transport, send } = useLiveData('room', options)
  const [delivered, setDelivered] = useState(false)
  return (
    <section data-testid="chat" data-status={status} data-transport={transport ?? ''}>
      <ol>
        {data.map((line, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: the lines only ever grow at the end
          <li key={i}>{line.text}</li>
        ))}
      </ol>
      <button
        type="button"
        onClick={() => send('hello', { event: 'say' }).then(() => setDelivered(true))}
      >
        say hello
      </button>
      {delivered && <p>delivered</p>}
    </section>
  )
}

const chat = () => screen.getByTestId('chat')

describe('React over socket.io', () => {
  it('renders socket.io events through useLiveData', async () => {
    render(
      <LiveDataProvider client={client}>
        <Chat />
      </LiveDataProvider>,
    )
    await waitFor(() => expect(chat().dataset.status).toBe('open'))
    expect(chat().dataset.transport).toBe('socket.io')
    server.io.emit(ROOM, { from: 'server', text: 'one' })
    server.io.emit(ROOM, { from: 'server', text: 'two' })
    await waitFor(() =>
      expect(screen.getAllByRole('listitem').map((li) => li.textContent)).toEqual(['one', 'two']),
    )
  })

  it('sends through useLiveData, delivered to the server', async () => {
    render(
      <LiveDataProvider client={client}>
        <Chat />
      </LiveDataProvider>,
    )
    await waitFor(() => expect(chat().dataset.status).toBe('open'))
    fireEvent.click(screen.getByText('say hello'))
    await screen.findByText('delivered')
    await waitFor(() =>
      expect(screen.getAllByRole('listitem').map((li) => li.textContent)).toEqual(['hello']),
    )
  })
})
