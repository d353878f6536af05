// @vitest-environment jsdom
import { createLiveClient, type LiveClient } from '@livedata/core'
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { socketIo } from '../src/index'
import Chat from './Chat.svelte'
import { ROOM } from './room'
import { startSocketIoServer, type TestSocketIoServer } from './socket-io-server'

let server: TestSocketIoServer
let client: LiveClient

beforeEach(async () => {
  server = await startSocketIoServer()
  // Every `say` is told to the room, as a classic chat backend does: no acknowledgement.
  server.io.on('connection', (socket) =>
    socket.on('say', (text: string) => server.io.emit(ROOM, { from: socket.id, text })),
  )
  client = createLiveClient({ register: [socketIo], disconnectDelay: 10 })
})

afterEach(async () => {
  // @testing-library/svelte unmounts what it rendered after each test.
  client.close()
  await server.close()
})

const chat = () => screen.getByTestId('chat')
const items = () => screen.queryAllByRole('listitem').map((li) => li.textContent)

describe('Svelte over socket.io', () => {
  it('renders socket.io events through liveData', async () => {
    render(Chat, { client, url: server.url })
    await waitFor(() => expect(chat().dataset.status).toBe('open'))
    expect(chat().dataset.transport).toBe('socket.io')
    server.io.emit(ROOM, { from: 'server', text: 'one' })
    server.io.emit(ROOM, { from: 'server', text: 'two' })
    await waitFor(() => expect(items()).toEqual(['one', 'two']))
  })

  it('sends through the store, delivered to the server', async () => {
    render(Chat, { client, url: server.url })
    await waitFor(() => expect(chat().dataset.status).toBe('open'))
    await fireEvent.click(screen.getByText('say hello'))
    await screen.findByText('delivered')
    await waitFor(() => expect(items()).toEqual(['hello']))
  })
})
