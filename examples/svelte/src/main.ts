import { mount } from 'svelte'
import DemoRoot from './DemoRoot.svelte'
import './styles.css'

mount(DemoRoot, { target: document.getElementById('app')! })
