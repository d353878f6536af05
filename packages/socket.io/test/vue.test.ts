// @vitest-environment jsdom
import { createLiveClient, type LiveClient } from '@livedata/core'
import { createLiveData, useLiveData } from '@livedata/vue'
import { mount } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h, ref } from 'vue'
import { socketIo } from '../src/index'
import { lines, ROOM } from './room'
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
  client.close()
  await server.close()
})

/** A chat room: its lines, its status and transport, and a button that says hello. */
function chatRoom() {
  return defineComponent({
    setup() {
      // biome-ignore lint/correctness/useHookAtTopLevel: a Vue composable in setup(), not a React hook (this package's React devDependency turns the React rules on)
      const { data, status, transport, send } = useLiveData('room', lines(server.url))
      const delivered = ref(false)
      const say = () => send('hello', { event: 'say' }).then(() => (delivered.value = true))
      return () =>
        h(
          'section',
          {
            'data-testid': 'chat',
            'data-status': status.value,
            'data-transport': transport.value ?? '',
          },
          [
            h(
              'ol',
              data.value.map((line) => h('li', line.text)),
            ),
            h('button', { type: 'button', onClick: say }, 'say hello'),
            delivered.value ? h('p', 'delivered') : null,
          ],
        )
    },
  })
}

function mountChat() {
  return mount(chatRoom(), { global: { plugins: [createLiveData(client)] } })
}

describe('Vue over socket.io', () => {
  it('renders socket.io events through useLiveData', async () => {
    const wrapper = mountChat()
    const chat = () => wrapper.get('[data-testid="chat"]')
    await vi.waitFor(() => expect(chat().attributes('data-status')).toBe('open'))
    expect(chat().attributes('data-transport')).toBe('socket.io')
    server.io.emit(ROOM, { from: 'server', text: 'one' })
    server.io.emit(ROOM, { from: 'server', text: 'two' })
    await vi.waitFor(() =>
      expect(wrapper.findAll('li').map((li) => li.text())).toEqual(['one', 'two']),
    )
    wrapper.unmount()
  })

  it('sends through useLiveData, delivered to the server', async () => {
    const wrapper = mountChat()
    await vi.waitFor(() =>
      expect(wrapper.get('[data-testid="chat"]').attributes('data-status')).toBe('open'),
    )
    await wrapper.get('button').trigger('click')
    await vi.waitFor(() => expect(wrapper.find('p').exists()).toBe(true))
    await vi.waitFor(() => expect(wrapper.findAll('li').map((li) => li.text())).toEqual(['hello']))
    wrapper.unmount()
  })
})
