/** What a send on `notes` (`POST /live/notes`) carries. */
export interface Note {
  text: string
}

/** What the server publishes on `echo` for each note it received. */
export interface Echo {
  text: string
  receivedAt: number
}
