import { createLiveClient } from '@livedata/core'
import { createLiveData } from '@livedata/vue'
import { createApp } from 'vue'
import App from './App.vue'
import './styles.css'

// Relative: the app is served by the demo server, which answers /live on the same origin.
const client = createLiveClient({ url: '/live' })

createApp(App).use(createLiveData(client)).mount('#app')
