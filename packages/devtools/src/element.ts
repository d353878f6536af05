import type { InspectEventType, InspectListener } from '@livedata/core'
import { clip } from './clip'
import { describeEvent } from './describe-event'
import { EVENT_TYPES } from './filter'
import { formatTime } from './format-time'
import { createDevtoolsModel, type DevtoolsModel } from './model'
import { createReport } from './report'
import { serializeError } from './serialize-error'
import { STYLES } from './styles'

/** What the panel needs of a client: `inspect()` (every `LiveClient` has it). */
export interface InspectableClient {
  inspect(listener: InspectListener): () => void
}

/** The `<livedata-devtools>` element: set its `client` and add it to the page. */
export interface LiveDataDevtoolsElement extends HTMLElement {
  /**
   * The client inspected; `null` stops inspecting and clears the panel. Setting another one
   * starts over. Anything else (no `inspect` function) throws a `TypeError` and the panel keeps
   * the client it had.
   */
  client: InspectableClient | null
  /** The model the panel renders (the sources' states, the timeline, its filter). */
  readonly model: DevtoolsModel
  /** Whether the panel is folded down to a badge (the `collapsed` attribute, observed). */
  collapsed: boolean
  /**
   * Copies the bug report (`createReport`: states, events, user agent) to the clipboard as JSON;
   * if the clipboard is refused, shows it in a selected text area to copy by hand. It never
   * rejects: what went wrong is said in the panel.
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
 * The panel's static parts (no text from a client in it: what a client says is set as text, in
 * `el`). Folded, the badge is named by what it says (`LiveData · 1/2 open`). The message is a
 * polite status (the production build, a refused clipboard); the timeline, up to 1,000 rows
 * growing many times a second, is a list read on demand, never announced.
 */
const MARKUP =
  '<div class=panel part=panel role=region aria-label="LiveData inspector"><header>' +
  '<strong>LiveData inspector</strong><span class=tab></span><button>Copy as JSON' +
  '</button><button>Clear</button><button ' +
  'aria-label="Fold the inspector down to a badge">–</button></header>' +
  '<div class=message role=status></div><table class=sources aria-label=Sources><thead><tr>' +
  SOURCE_COLUMNS.map((column) => `<th>${column}</th>`).join('') +
  '</tr></thead><tbody></tbody></table><div class=filters>' +
  EVENT_TYPES.map(
    (type) => `<label><input type=checkbox checked data-type=${type}>${type}</label>`,
  ).join('') +
  '<label>channel <input type=search></label><span class=count></span></div>' +
  '<ol class=timeline role=list aria-label=Timeline tabindex=0></ol></div>' +
  '<button class=badge>LiveData</button>'

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
    static observedAttributes = ['collapsed']
    #client: InspectableClient | null = null
    #model = createDevtoolsModel()
    #stop: (() => void) | null = null
    #frame = 0
    #rebuild = true
    #renderedSeq = 0
    // Taken out of the page: still subscribed until the next microtask, in case it is put back (a move).
    #leaving = false
    readonly #root: ShadowRoot
    readonly #message: HTMLElement
    readonly #tab: HTMLElement
    readonly #sources: HTMLTableSectionElement
    readonly #search: HTMLInputElement
    readonly #count: HTMLElement
    readonly #list: HTMLOListElement
    readonly #badge: HTMLButtonElement
    readonly #copy: HTMLButtonElement

    constructor() {
      super()
      const root = this.attachShadow({ mode: 'open' })
      this.#root = root
      root.innerHTML = `<style>${STYLES}</style>${MARKUP}`
      const find = <E extends Element>(selector: string) => root.querySelector(selector) as E
      this.#message = find('.message')
      this.#tab = find('.tab')
      this.#sources = find('tbody')
      this.#search = find('[type=search]')
      this.#count = find('.count')
      this.#list = find('ol')
      this.#badge = find('.badge')
      const [copy, clear, fold] = root.querySelectorAll('button')
      this.#copy = copy!
      copy!.onclick = () => void this.copy()
      clear!.onclick = () => this.#clear()
      fold!.onclick = () => {
        this.collapsed = true
      }
      this.#badge.onclick = () => {
        this.collapsed = false
      }
      // A box ticked or unticked, a letter typed in the channel's field.
      find<HTMLElement>('.filters').oninput = () => this.#applyFilter()
    }

    get client(): InspectableClient | null {
      return this.#client
    }

    set client(client: InspectableClient | null) {
      if (client != null && typeof (client as Partial<InspectableClient>).inspect !== 'function') {
        throw new TypeError('client: one with inspect(), or null')
      }
      if ((client ?? null) === this.#client) return
      this.#unsubscribe()
      this.#client = client ?? null
      this.#reset()
      this.#subscribe()
    }

    get model(): DevtoolsModel {
      return this.#model
    }

    get collapsed(): boolean {
      return this.hasAttribute('collapsed')
    }

    set collapsed(value: boolean) {
      this.toggleAttribute('collapsed', value)
    }

    attributeChangedCallback(): void {
      this.#schedule()
    }

    connectedCallback(): void {
      // Put back before a microtask ran (a framework moving it): nothing missed.
      this.#leaving = false
      this.#subscribe()
      this.#schedule()
    }

    disconnectedCallback(): void {
      this.#leaving = true
      queueMicrotask(() => {
        if (!this.#leaving) return
        this.#leaving = false
        this.#unsubscribe()
      })
    }

    async copy(): Promise<void> {
      let json = ''
      try {
        json = JSON.stringify(createReport(this.#model, navigator.userAgent), null, 2)
        await navigator.clipboard.writeText(json)
        this.#copy.textContent = 'Copied'
      } catch (error) {
        // No clipboard: the report, selected to copy by hand (none: an event that is no JSON).
        const area = el('textarea')
        area.value = json
        area.readOnly = true
        area.setAttribute('aria-label', 'Report')
        this.#message.replaceChildren(
          `${json ? 'Clipboard refused' : 'No report'} (${describeError(error)})`,
          area,
        )
        area.select()
        this.#copy.textContent = 'Selected'
      }
      setTimeout(() => {
        this.#copy.textContent = 'Copy as JSON'
      }, 1500)
    }

    /** A fresh model (the same filter), the panel cleared: what a new subscription starts from. */
    #reset(): void {
      this.#model = createDevtoolsModel()
      this.#model.setFilter(this.#filter())
      this.#rebuild = true
      this.#renderedSeq = 0
      this.#say('')
      this.#schedule()
    }

    #say(text: string): void {
      this.#message.textContent = text
    }

    #subscribe(): void {
      if (!this.isConnected || !this.#client || this.#stop) return
      // Heard again from the start (the current states first): from a clean slate, not twice.
      this.#reset()
      const model = this.#model
      try {
        this.#stop = this.#client.inspect((event) => {
          model.push(event)
          this.#schedule()
        })
      } catch (error) {
        // The production build of @livedata/core: `ERR_UNSUPPORTED: … not in production builds`.
        this.#say(`Cannot inspect this client: ${describeError(error)}`)
      }
    }

    #unsubscribe(): void {
      this.#stop?.()
      this.#stop = null
    }

    #filter() {
      const boxes = this.#root.querySelectorAll<HTMLInputElement>('[data-type]:checked')
      return {
        types: new Set([...boxes].map((box) => box.dataset.type as InspectEventType)),
        channel: this.#search.value,
      }
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
          row.dataset.channel = clip(source.channel)
          const { transport, attempt, lastEventId, errorCode, pendingSends } = source
          row.append(
            el('td', '', source.channel, source.shared),
            el('td', `status-${source.status}`, source.status),
            ...[transport ?? '–', attempt, lastEventId ?? '–', errorCode ?? '', pendingSends].map(
              (text) => el('td', '', String(text)),
            ),
          )
          if (source.errorMessage) row.title = clip(source.errorMessage)
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
        // (All of them when it kept none: no number is at least `undefined`.)
        const first = entries[0]?.seq as number
        let row = list.firstElementChild as HTMLElement | null
        while (row && !(Number(row.dataset.seq) >= first)) {
          row.remove()
          row = list.firstElementChild as HTMLElement | null
        }
      }
      this.#renderedSeq = entries[entries.length - 1]?.seq ?? this.#renderedSeq
      const rows = document.createDocumentFragment()
      for (const { seq, event } of fresh) {
        const row = el('li')
        row.dataset.seq = String(seq)
        row.dataset.type = event.type
        row.append(
          el('time', '', formatTime(event.time)),
          ' ',
          el('span', 'channel', event.type === 'tab' ? '(tab)' : event.channel, event.shared),
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

/**
 * A new element, with its text (as text, never HTML, cut at 200 characters) and, for what the
 * connection the tabs share reported, a `shared` tag after it.
 */
function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = '',
  text?: string,
  shared?: boolean,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = clip(text)
  if (shared) node.append(' ', el('span', 'tag', 'shared'))
  return node
}

/** What was thrown, in a line: `code: message`, whatever it is (it never throws). */
function describeError(error: unknown): string {
  const out = serializeError(error)
  return clip(typeof out === 'string' ? out : `${out.code ? `${out.code}: ` : ''}${out.message}`)
}
