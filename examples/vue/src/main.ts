import { createApp } from 'vue'
import DemoRoot from './DemoRoot.vue'
import '@livedata/example-shared/styles.css'

// No createLiveData(client) plugin: that provides one client for the app's lifetime, and the
// transport picker swaps it. DemoRoot provides the current client to the dashboard instead.
createApp(DemoRoot).mount('#app')
