// `npm run example:client`: the MCP SDK client against a running example server, with a
// token in the Authorization header. Lists the tools and calls whoami.
// MCP_URL (default http://127.0.0.1:3000/mcp) and MCP_TOKEN (default: one fetched from
// the demo token endpoint) configure it.
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { DEMO_CLIENT } from './app.js'

const url = new URL(process.env.MCP_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}/mcp`)

async function demoToken(): Promise<string> {
  const res = await fetch(new URL('/oauth/token', url), {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: DEMO_CLIENT.id, client_secret: DEMO_CLIENT.secret }),
  })
  if (!res.ok) throw new Error(`token endpoint answered ${res.status}`)
  return ((await res.json()) as { access_token: string }).access_token
}

const token = process.env.MCP_TOKEN || (await demoToken())
const client = new Client({ name: 'fastmcp-auth-express-example-client', version: '1.0.0' })
const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${token}` } } })
await client.connect(transport)
const { tools } = await client.listTools()
console.log('tools:', tools.map((t) => t.name).join(', '))
const whoami = await client.callTool({ name: 'whoami', arguments: {} })
console.log('whoami:', JSON.stringify(whoami.structuredContent))
await client.close()
