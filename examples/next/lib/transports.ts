/**
 * The transports a route handler can serve: everything but the WebSocket (a route handler
 * cannot upgrade its connection). The server offers this list and the page's client asks for
 * it, so the client starts on SSE. Kept apart from lib/live.ts so that the page's bundle does
 * not take in the server.
 */
export const ROUTE_TRANSPORTS = ['sse', 'long-polling', 'polling'] as const
