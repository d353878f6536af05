// The live page (LiveDataProvider, useLiveData) comes next; the route handler already serves
// /live: curl -N 'http://localhost:3000/live/prices' -H 'Accept: text/event-stream'
export default function Page() {
  return <p>@livedata on Next.js: the live server is at /live.</p>
}
