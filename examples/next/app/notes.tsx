'use client'
import { isLiveDataError, useLiveClient, useLiveData } from '@livedata/react'
import { type FormEvent, useState } from 'react'
import type { Echo, Note } from '../lib/notes'

const keepLast = (echoes: Echo[], echo: Echo): Echo[] => [...echoes, echo].slice(-10)

/**
 * A note sent on `notes` (a POST to the route handler) and the server's answer on `echo`: the
 * round trip, shown.
 */
export function Notes() {
  const client = useLiveClient()
  const { data: echoes } = useLiveData<Echo[], Echo>('echo', { initialData: [], reduce: keepLast })
  const [text, setText] = useState('')
  const [failure, setFailure] = useState<string | null>(null)

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const note: Note = { text }
    setFailure(null)
    client
      .source('notes')
      .send(note)
      .then(
        () => setText(''),
        (error: unknown) =>
          setFailure(isLiveDataError(error) ? `${error.code}: ${error.message}` : String(error)),
      )
  }

  return (
    <section>
      <form onSubmit={submit}>
        <label>
          Note{' '}
          <input
            data-testid="note"
            value={text}
            maxLength={200}
            required
            onChange={(event) => setText(event.target.value)}
          />
        </label>{' '}
        <button type="submit">Send</button>
      </form>
      {failure && <p role="alert">{failure}</p>}
      <ul data-testid="echoes">
        {echoes.map((echo) => (
          <li key={`${echo.receivedAt}-${echo.text}`}>{echo.text}</li>
        ))}
      </ul>
    </section>
  )
}
