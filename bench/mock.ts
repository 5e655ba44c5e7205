// The smallest node:http request and response the middleware needs, so the micro bench
// measures the middleware and nothing of a server.
import type { IncomingMessage, ServerResponse } from 'node:http'

/** A POST /mcp as an MCP client sends it, with `token` in the Authorization header. */
export function mockRequest(token: string): IncomingMessage {
  const authorization = `Bearer ${token}`
  const headers = {
    host: '127.0.0.1:3000',
    authorization,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  }
  const rawHeaders = ['Host', headers.host, 'Authorization', authorization, 'Content-Type', headers['content-type'], 'Accept', headers.accept]
  return { method: 'POST', url: '/mcp', headers, rawHeaders } as unknown as IncomingMessage
}

/** A response that records its status and calls `onEnd` when the middleware answers. */
export class MockResponse {
  statusCode = 200
  headersSent = false
  onEnd: () => void = () => {}
  setHeader(): this {
    return this
  }
  end(): this {
    this.onEnd()
    return this
  }
  asServerResponse(): ServerResponse {
    return this as unknown as ServerResponse
  }
}
