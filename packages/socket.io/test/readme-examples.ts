// The README's examples, checked by `pnpm typecheck` (tsc) and never run: keep them in step.
// ../src/index stands for @livedata/socket.io.
import { createLiveClient, type SourceOptions } from '@livedata/core'
import { useLiveData } from '@livedata/react'
import { socketIo, socketIoTransport } from '../src/index'

interface Message {
  from: string
  text: string
}
declare function getToken(): string
declare const url: string

// ## Use
const client = createLiveClient({ register: [socketIo] })

export const options = {
  url: 'https://chat.example.com', // a namespace is the URL's path: https://chat.example.com/admin
  transport: 'socket.io',
  event: 'chat',
  initialData: [],
  reduce: (messages: Message[], message: Message) => [...messages, message],
} satisfies SourceOptions<Message[], Message>

const chat = client.source('chat', options)
export const messages: Message[] = chat.getSnapshot().data

export function Chat() {
  const { data, status, send } = useLiveData('chat', options)
  const lines: Message[] = data
  return [lines, status, send]
}

// ### Options
createLiveClient({
  register: [socketIoTransport({ path: '/realtime/', auth: (cb) => cb({ token: getToken() }) })],
})

// ## Sends
const acking = createLiveClient({
  register: [socketIoTransport({ ack: (event) => event === 'order' })],
})
const orders = acking.source('orders', { url, transport: 'socket.io', event: 'orders' })
export const answer: Promise<unknown> = orders.send({ sku: 'A1', qty: 2 }, { event: 'order' })
