import { LivePage } from './live-page'

/** The demo: live prices and a note that round-trips, rendered by the client components below. */
export default function Page() {
  return <LivePage />
}
