import type { ConnectionListener } from './connection'
import { type LiveDataErrorCode, toLiveDataError } from './errors'
import { seenCheck } from './ids'
import type { LiveSchema, LiveSnapshot, SourceOptions } from './types'

/** Where the pipeline reads the source's values and writes its changes (the source's store). */
export interface PipelineTarget<T> {
  readonly state: Readonly<LiveSnapshot<T>>
  update(patch: Partial<LiveSnapshot<T>>): void
}

function validate<M>(schema: LiveSchema<M>, value: unknown): M {
  if (typeof schema === 'function') return schema(value)
  const result = schema['~standard'].validate(value) as {
    value?: M
    issues?: ReadonlyArray<{ message: string }>
  }
  if (result instanceof Promise) throw new Error('async schemas are not supported')
  if (result.issues) throw new Error(result.issues.map((issue) => issue.message).join('; '))
  return result.value as M
}

/**
 * Turns what a connection delivers into a source's data: each message is dropped when already
 * delivered (its id at or before the last one, our server's ids only), skipped when it is not the
 * wanted event, else parsed, checked by the schema and reduced onto the data; a failure becomes
 * the snapshot's error and the message is skipped. Gaps reset or keep the data, cursors place a
 * fresh source. `channel`: the source follows a channel of @livedata/server (not a plain
 * endpoint); `target`: where its values live (its store).
 *
 * @example
 * ```ts
 * const pipeline = createMessagePipeline('prices', true, { initialData: [] }, store)
 * pipeline.onMessage({ text: '1', event: 'message', id: '1-1' })
 * ```
 */
export function createMessagePipeline<T, M>(
  key: string,
  channel: boolean,
  options: SourceOptions<T, M>,
  target: PipelineTarget<T>,
): Pick<ConnectionListener, 'onMessage' | 'onGap' | 'onCursor'> {
  const reduce = options.reduce ?? ((_previous: T, data: M) => data as unknown as T)
  const initialData = options.initialData as T
  const parse = options.parse ?? (channel ? JSON.parse : (text: string) => text)
  // Channels of our server deliver every event; a plain endpoint only its unnamed ones.
  const wanted = options.event ?? (channel ? undefined : 'message')
  const isSeen = seenCheck()
  const { state, update } = target

  const fail = (code: LiveDataErrorCode, cause: unknown, lastEventId: string | null): void => {
    // The id still counts as seen: a resume must not fetch the same bad message again.
    update({ error: toLiveDataError(cause, code, `"${key}"`), lastEventId })
  }

  return {
    // History no longer reaches back: the server replays all it holds next. With `gap: 'reset'`
    // the data is rebuilt from initialData over it rather than folded onto a state with a hole
    // in it; with 'keep' the replay is folded onto the data as it is (a chat keeps its lines).
    // The old id is no reference any more either: what follows is taken as it comes.
    onGap(replay = true) {
      if (!replay) return update({ gap: true })
      const data = options.gap === 'keep' ? state.data : initialData
      update({ gap: true, data, lastEventId: null })
    },
    // Only a source that has nothing yet takes a cursor: past that, its own last id is the truth.
    onCursor(id) {
      if (state.lastEventId === null) update({ lastEventId: id })
    },
    onMessage(message) {
      const last = state.lastEventId
      const id = message.id ?? last
      // Already delivered: a replay that overlaps what this source has seen. Only our server's
      // ids are ordered; a plain endpoint's are opaque and never compared.
      if (channel && message.id !== null && last !== null && isSeen(message.id, last)) return
      if (wanted !== undefined && message.event !== wanted) {
        return update({ lastEventId: id })
      }
      let payload: M
      try {
        const parsed = message.text === undefined ? message.value : parse(message.text)
        payload = options.schema ? validate(options.schema, parsed) : (parsed as M)
      } catch (cause) {
        const code = options.schema && !(cause instanceof SyntaxError) ? 'ERR_SCHEMA' : 'ERR_PARSE'
        return fail(code, cause, id)
      }
      try {
        const data = reduce(state.data, payload, { id: message.id, event: message.event })
        update({ data, lastEventId: id, error: null })
      } catch (cause) {
        fail('ERR_REDUCE', cause, id)
      }
    },
  }
}
