import { createLiveClient } from '@livedata/core'
import { mount } from 'svelte'
import App from './App.svelte'
import './styles.css'

// Relative: the app is served by the demo server, which answers /live on the same origin.
const client = createLiveClient({ url: '/live' })

mount(App, { target: document.getElementById('app')!, props: { client } })
