import type { InspectEventType, InspectListener } from '@livedata/core'
import { describeEvent } from './describe-event'
import { EVENT_TYPES } from './filter'
import { formatTime } from './format-time'
import { createDevtoolsModel, type DevtoolsModel } from './model'
import { createReport } from './report'
import { STYLES } from './styles'

/** What the panel needs of a client: `inspect()` (every `LiveClient` has it). */
export interface InspectableClient {
  inspect(listener: InspectListener): () => void
}

/** The `<livedata-devtools>` element: set its `client` and add it to the page. */
export interface LiveDataDevtoolsElement extends HTMLElement {
  /** The client inspected; `null` shows nothing. Setting another one starts over. */
  client: InspectableClient | null
  /** The model the panel renders (the sources' states, the timeline, its filter). */
  readonly model: DevtoolsModel
  /** Whether the panel is folded down to a badge (the `collapsed` attribute). */
  collapsed: boolean
  /**
   * Copies the bug report (`createReport`: states, events, user agent) to the clipboard as JSON;
   * if the clipboard is refused, shows it in a selected text area to copy by hand.
   *
   * @example
   * ```ts
   * await document.querySelector('livedata-devtools')?.copy()
   * ```
   */
  copy(): Promise<void>
}

/** The tag {@link defineDevtools} registers unless told another. */
export const DEVTOOLS_TAG = 'livedata-devtools'

declare global {
  interface HTMLElementTagNameMap {
    'livedata-devtools': LiveDataDevtoolsElement
  }
}

const SOURCE_COLUMNS = ['channel', 'status', 'transport', 'attempt', 'cursor', 'error', 'sends']

/**
 * Registers the `<livedata-devtools>` custom element (once; later calls return the same class)
 * and returns its class. Call it in the browser only: it needs `HTMLElement`.
 *
 * @example
 * ```ts
 * defineDevtools()
 * const panel = document.createElement('livedata-devtools')
 * panel.client = client
 * document.body.append(panel)
 * ```
 */
export function defineDevtools(tag: string = DEVTOOLS_TAG): new () => LiveDataDevtoolsElement {
  const known = customElements.get(tag)
  if (known) return known as new () => LiveDataDevtoolsElement
  const element = createElementClass()
  customElements.define(tag, element)
  return element
}

function createElementClass(): new () => LiveDataDevtoolsElement {
  return class LiveDataDevtools extends HTMLElement implements LiveDataDevtoolsElement {
    #client: InspectableClient | null = null
    #model = createDevtoolsModel()
    #stop: (() => void) | null = null
    #frame = 0
    #rebuild = true
    #renderedSeq = 0
    readonly #root: ShadowRoot
    readonly #message: HTMLElement
    readonly #tab: HTMLElement
    readonly #sources: HTMLTableSectionElement
    readonly #search: HTMLInputElement
    readonly #types = new Set<InspectEventType>(EVENT_TYPES)
    readonly #count: HTMLElement
    readonly #list: HTMLOListElement
    readonly #badge: HTMLButtonElement
    readonly #copy: HTMLButtonElement

    constructor() {
      super()
      this.#root = this.attachShadow({ mode: 'open' })
      const style = document.createElement('style')
      style.textContent = STYLES
      const panel = el('div', 'panel')
      panel.setAttribute('part', 'panel')
      panel.setAttribute('role', 'region')
      panel.setAttribute('aria-label', 'LiveData inspector')
      const header = el('header')
      this.#tab = el('span', 'tab')
      this.#copy = button('Copy as JSON', () => void this.copy())
      header.append(
        el('strong', '', 'LiveData inspector'),
        this.#tab,
        this.#copy,
        button('Clear', () => this.#clear()),
        button(
          '–',
          () => {
            this.collapsed = true
          },
          'Fold the inspector down to a badge',
        ),
      )
      this.#message = el('div', 'message')
      const table = el('table', 'sources')
      const head = el('thead')
      const headRow = el('tr')
      for (const column of SOURCE_COLUMNS) headRow.append(el('th', '', column))
      head.append(headRow)
      this.#sources = el('tbody')
      table.append(head, this.#sources)
      const filters = el('div', 'filters')
      for (const type of EVENT_TYPES) {
        const box = el('input')
        box.type = 'checkbox'
        box.checked = true
        box.dataset.type = type
        box.addEventListener('change', () => {
          if (box.checked) this.#types.add(type)
          else this.#types.delete(type)
          this.#applyFilter()
        })
        const label = el('label')
        label.append(box, type)
        filters.append(label)
      }
      this.#search = el('input')
      this.#search.type = 'search'
      this.#search.placeholder = 'channel'
      this.#search.setAttribute('aria-label', 'Show only the channels containing')
      this.#search.addEventListener('input', () => this.#applyFilter())
      this.#count = el('span', 'count')
      filters.append(this.#search, this.#count)
      this.#list = el('ol', 'timeline')
      panel.append(header, this.#message, table, filters, this.#list)
      this.#badge = button('LiveData', () => {
        this.collapsed = false
      })
      this.#badge.className = 'badge'
      this.#badge.setAttribute('aria-label', 'Open the LiveData inspector')
      this.#root.append(style, panel, this.#badge)
    }

    get client(): InspectableClient | null {
      return this.#client
    }

    set client(client: InspectableClient | null) {
      if (client === this.#client) return
      this.#unsubscribe()
      this.#client = client
      this.#model = createDevtoolsModel()
      this.#model.setFilter(this.#filter())
      this.#rebuild = true
      this.#subscribe()
      this.#schedule()
    }

    get model(): DevtoolsModel {
      return this.#model
    }

    get collapsed(): boolean {
      return this.hasAttribute('collapsed')
    }

    set collapsed(value: boolean) {
      this.toggleAttribute('collapsed', value)
      if (!value) this.#schedule()
    }

    connectedCallback(): void {
      this.#subscribe()
      this.#schedule()
    }

    disconnectedCallback(): void {
      this.#unsubscribe()
      if (this.#frame) cancelAnimationFrame(this.#frame)
      this.#frame = 0
    }

    async copy(): Promise<void> {
      const json = JSON.stringify(createReport(this.#model, navigator.userAgent), null, 2)
      try {
        await navigator.clipboard.writeText(json)
        this.#copy.textContent = 'Copied'
      } catch {
        const area = el('textarea')
        area.value = json
        area.readOnly = true
        this.#message.replaceChildren('Copy this report (the clipboard was refused):', area)
        area.select()
        this.#copy.textContent = 'Selected'
      }
      setTimeout(() => {
        this.#copy.textContent = 'Copy as JSON'
      }, 1500)
    }

    #subscribe(): void {
      if (!this.isConnected || !this.#client || this.#stop) return
      this.#message.textContent = ''
      const model = this.#model
      try {
        this.#stop = this.#client.inspect((event) => {
          model.push(event)
          this.#schedule()
        })
      } catch (error) {
        const { code, message } = error as { code?: string; message?: string }
        this.#message.textContent = `Cannot inspect this client: ${code ? `${code}: ` : ''}${
          message ?? String(error)
        }\nThe production build of @livedata/core leaves inspect() out: use its default (development) build to see the inspector.`
      }
    }

    #unsubscribe(): void {
      this.#stop?.()
      this.#stop = null
    }

    #filter() {
      return { types: new Set(this.#types), channel: this.#search.value }
    }

    #applyFilter(): void {
      this.#model.setFilter(this.#filter())
      this.#rebuild = true
      this.#schedule()
    }

    #clear(): void {
      this.#model.timeline.clear()
      this.#rebuild = true
      this.#schedule()
    }

    // A burst of events is rendered once per frame, not once per event.
    #schedule(): void {
      if (this.#frame || !this.isConnected) return
      this.#frame = requestAnimationFrame(() => {
        this.#frame = 0
        this.#render()
      })
    }

    #render(): void {
      const { states, timeline } = this.#model
      const sources = states.sources
      const open = sources.filter((source) => source.status === 'open').length
      this.#badge.textContent = `LiveData · ${open}/${sources.length} open`
      if (this.collapsed) return
      this.#tab.textContent = states.tab ? `tab: ${states.tab}` : ''
      this.#sources.replaceChildren(
        ...sources.map((source) => {
          const row = el('tr')
          row.dataset.channel = source.channel
          const status = el('td', `status-${source.status}`, source.status)
          row.append(
            el('td', '', source.channel),
            status,
            el('td', '', source.transport ?? '–'),
            el('td', '', String(source.attempt)),
            el('td', '', source.lastEventId ?? '–'),
            el('td', '', source.errorCode ?? ''),
            el('td', '', String(source.pendingSends)),
          )
          if (source.errorMessage) row.title = source.errorMessage
          return row
        }),
      )
      this.#renderTimeline()
      const shown = this.#list.childElementCount
      const dropped = timeline.dropped ? `, ${timeline.dropped} dropped` : ''
      this.#count.textContent = `${shown} shown of ${timeline.entries.length} kept${dropped}`
    }

    #renderTimeline(): void {
      const list = this.#list
      const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 8
      const entries = this.#model.timeline.entries
      let fresh = this.#model.visible()
      if (this.#rebuild) {
        list.replaceChildren()
        this.#rebuild = false
      } else {
        fresh = fresh.filter((entry) => entry.seq > this.#renderedSeq)
        // Rows of events the timeline let go go too: the list stays as bounded as the model.
        const first = entries[0]?.seq ?? Number.POSITIVE_INFINITY
        while (
          list.firstElementChild &&
          Number((list.firstElementChild as HTMLElement).dataset.seq) < first
        ) {
          list.firstElementChild.remove()
        }
      }
      this.#renderedSeq = entries[entries.length - 1]?.seq ?? this.#renderedSeq
      const rows = document.createDocumentFragment()
      for (const { seq, event } of fresh) {
        const row = el('li')
        row.dataset.seq = String(seq)
        row.dataset.type = event.type
        const time = el('time', '', formatTime(event.time))
        row.append(
          time,
          ' ',
          el('span', 'channel', event.type === 'tab' ? '(tab)' : event.channel),
          ' ',
          el('span', 'type', event.type),
          ' ',
          el('span', 'fields', describeEvent(event)),
        )
        rows.append(row)
      }
      list.append(rows)
      // Newest at the bottom: follow it, unless the reader scrolled up.
      if (atBottom) list.scrollTop = list.scrollHeight
    }
  }
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = '',
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = text
  return node
}

function button(text: string, onClick: () => void, label?: string): HTMLButtonElement {
  const node = el('button', '', text)
  node.type = 'button'
  if (label) node.setAttribute('aria-label', label)
  node.addEventListener('click', onClick)
  return node
}
