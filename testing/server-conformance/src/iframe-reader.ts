const POST = /<script nonce="[^"]+">p\(([\s\S]*?)\)<\/script>\n/g

/**
 * Reads an iframe document as it arrives, calling `onObject` with the argument of every
 * `p(…)` script (the objects the frame posts to its page), parsed; the page's own script,
 * which defines `p`, is not one of them.
 */
export function createIframeParser(
  onObject: (object: Record<string, unknown>) => void,
): (chunk: string) => void {
  let buffer = ''
  return (chunk) => {
    buffer += chunk
    let consumed = 0
    POST.lastIndex = 0
    for (let match = POST.exec(buffer); match; match = POST.exec(buffer)) {
      onObject(JSON.parse(match[1] as string) as Record<string, unknown>)
      consumed = POST.lastIndex
    }
    buffer = buffer.slice(consumed)
  }
}
