import { LiveDataError } from './errors'

/** A send kept in IndexedDB until the server acknowledged it. */
export interface SendRecord {
  /** The order of sends in this database: IndexedDB's own increasing key. */
  seq?: number
  /** The send's idempotency key. */
  key: string
  /** The client's base URL: which client's queue this is. */
  scope: string
  /** The channel name, for messages. */
  channel: string
  /** The channel URL to POST to (without the client's `query`, resolved when it goes out). */
  url: string
  event: string | undefined
  /** The payload's JSON text. */
  text: string
  /** Its UTF-8 size. */
  bytes: number
  /** The page that wrote it: while that page lives, it is that page's to send. */
  page: string
}

/** The record under key 0 that counts what the store holds, updated with every write. */
interface Totals {
  seq: 0
  count: number
  bytes: number
}

/** Most sends kept, over every client and tab of the origin. */
export const MAX_PERSISTED_SENDS = 1000
/** Most bytes of payload kept (UTF-8), over every client and tab of the origin. */
export const MAX_PERSISTED_BYTES = 1024 * 1024

const DATABASE = 'livedata'
const STORE = 'sends'

/** The IndexedDB of sends waiting for an acknowledgement: one object store, keyed by `seq`. */
export interface SendStore {
  /** Keeps `record`; resolves with its `seq`, or rejects with `ERR_SEND_QUEUE_FULL` past the bounds. */
  add(record: SendRecord): Promise<number>
  /** Forgets the send of that `seq` (it was acknowledged, or settled). */
  remove(seq: number): Promise<void>
  /** Every send of `scope`, oldest first. */
  list(scope: string): Promise<SendRecord[]>
}

const done = <T>(request: IDBRequest<T>): Promise<T> =>
  new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })

const finished = (transaction: IDBTransaction): Promise<void> =>
  new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve()
    transaction.onerror = transaction.onabort = () => reject(transaction.error)
  })

/**
 * Opens the database `livedata` (store `sends`), or resolves `null` where IndexedDB is missing
 * or refuses (Node, some private modes): sends then stay in memory only, without an error.
 *
 * @example
 * ```ts
 * const store = await openSendStore(globalThis.indexedDB)
 * ```
 */
export async function openSendStore(indexedDB: IDBFactory | undefined): Promise<SendStore | null> {
  let db: IDBDatabase
  try {
    if (!indexedDB) return null
    const opening = indexedDB.open(DATABASE, 1)
    opening.onupgradeneeded = () => {
      opening.result.createObjectStore(STORE, { keyPath: 'seq', autoIncrement: true })
    }
    db = await done(opening)
  } catch {
    return null
  }
  /** Runs `work` in one read-write transaction and resolves once it committed. */
  const write = async <T>(work: (store: IDBObjectStore) => Promise<T>): Promise<T> => {
    const transaction = db.transaction(STORE, 'readwrite')
    const committed = finished(transaction)
    committed.catch(() => {})
    const result = await work(transaction.objectStore(STORE))
    await committed
    return result
  }
  const totals = async (store: IDBObjectStore): Promise<Totals> =>
    ((await done(store.get(0))) as Totals | undefined) ?? { seq: 0, count: 0, bytes: 0 }
  return {
    add(record) {
      return write(async (store) => {
        const held = await totals(store)
        if (
          held.count + 1 > MAX_PERSISTED_SENDS ||
          held.bytes + record.bytes > MAX_PERSISTED_BYTES
        ) {
          store.transaction.abort()
          throw new LiveDataError(
            'ERR_SEND_QUEUE_FULL',
            `${held.count} sends (${held.bytes} bytes) already wait in IndexedDB; at most ${MAX_PERSISTED_SENDS} sends and ${MAX_PERSISTED_BYTES} bytes`,
          )
        }
        store.put({ seq: 0, count: held.count + 1, bytes: held.bytes + record.bytes })
        return (await done(store.add(record))) as number
      })
    },
    remove(seq) {
      return write(async (store) => {
        const record = (await done(store.get(seq))) as SendRecord | undefined
        if (!record) return
        const held = await totals(store)
        store.delete(seq)
        store.put({
          seq: 0,
          count: Math.max(0, held.count - 1),
          bytes: Math.max(0, held.bytes - record.bytes),
        })
      })
    },
    async list(scope) {
      const store = db.transaction(STORE, 'readonly').objectStore(STORE)
      const records = (await done(store.getAll(IDBKeyRange.lowerBound(1)))) as SendRecord[]
      return records.filter((record) => record.scope === scope)
    },
  }
}
