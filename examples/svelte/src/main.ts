import { mount } from 'svelte'
import DemoRoot from './DemoRoot.svelte'
import '@livedata/example-shared/styles.css'
import './accent.css'

mount(DemoRoot, { target: document.getElementById('app')! })
