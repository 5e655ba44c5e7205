// `npm start`: the example MCP server on 127.0.0.1, protected by requireFastMcpToken, with
// the authorization server MCP clients log in through (development login page: DEMO_PASSWORD).
// FASTMCP_JWT_SECRET, FASTMCP_JWT_SALT, FASTMCP_ENTROPY, FASTMCP_ISSUER and FASTMCP_AUDIENCE
// point it at a real FastMCP deployment; without a secret it runs on a development one.
import http from 'node:http'
import { protectedResourceMetadataUrl } from '../src/index.js'
import { DEMO_CLIENT, SCOPES, createExampleApp } from './app.js'
import { DEMO_USER } from './dev-login.js'

const DEV_SECRET = 'fastmcp-auth-express-development-secret'
const host = '127.0.0.1'
const port = Number(process.env.PORT ?? 3000)
const base = `http://${host}:${port}`

const secret = process.env.FASTMCP_JWT_SECRET || DEV_SECRET
const entropy = process.env.FASTMCP_ENTROPY === 'high' ? 'high' : 'low'
// FastMCP's issuer is its base URL as pydantic prints it: a bare origin ends in "/"
const issuer = process.env.FASTMCP_ISSUER || `${base}/`
const audience = process.env.FASTMCP_AUDIENCE || `${base}/mcp`
const demoPassword = process.env.DEMO_PASSWORD || DEMO_USER.password
const { app, auth, authorizationServer } = createExampleApp({ secret, salt: process.env.FASTMCP_JWT_SALT || undefined, entropy, issuer, audience, demoPassword })

const server = http.createServer(app)
// Express 5 hands a listen error to the callback; listen ourselves so it can never pass for success
server.once('error', (err: NodeJS.ErrnoException) => {
  const why = err.code === 'EADDRINUSE' ? `port ${port} is already in use (set PORT to another one)` : err.message
  console.error(`fastmcp-auth-express example: cannot listen on ${host}:${port}: ${why}`)
  process.exit(1)
})
server.listen(port, host, async () => {
  if (secret === DEV_SECRET) {
    console.warn([
      '',
      '!!! ======================================================================= !!!',
      '!!!  DEVELOPMENT SECRET IN USE: anyone can mint tokens for this server.     !!!',
      '!!!  Set FASTMCP_JWT_SECRET (and FASTMCP_ISSUER / FASTMCP_AUDIENCE) first.  !!!',
      '!!! ======================================================================= !!!',
      '',
    ].join('\n'))
  }
  const { token } = await auth.issueAccessToken({ clientId: DEMO_CLIENT.id, scopes: [...SCOPES] })
  const call = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } })
  console.log(`MCP server on ${base}/mcp (audience ${audience}; metadata: ${URL.canParse(audience) ? protectedResourceMetadataUrl(audience) : 'none'})`)
  console.log(`\nA ready access token (1 hour, scopes ${SCOPES.join(' ')}):\n\n${token}\n`)
  console.log('Call the whoami tool with it:\n')
  console.log(`curl -s ${base}/mcp -H "Authorization: Bearer ${token}" -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' -d '${call}'\n`)
  console.log(`More tokens: curl -s ${base}/oauth/token -d grant_type=client_credentials -d client_id=${DEMO_CLIENT.id} -d client_secret=${DEMO_CLIENT.secret}`)
  console.log('OAuth login: npm run example:oauth-client (registers, logs in as demo, calls whoami)')
  console.log(`SDK client:  MCP_TOKEN=<token> npm run example:client\n`)
  console.log([
    `Authorization server: ${issuer} (login at ${authorizationServer.metadata.authorization_endpoint}, tokens at ${authorizationServer.metadata.token_endpoint})`,
    'MCP clients that log in by themselves (the MCP SDK client with an authProvider, the MCP Inspector) find it from the 401.',
    `DEVELOPMENT LOGIN PAGE: username ${DEMO_USER.username}, password ${demoPassword}${process.env.DEMO_PASSWORD ? ' (from DEMO_PASSWORD)' : ' (set DEMO_PASSWORD to change it)'}`,
    `Inspector:   npx @modelcontextprotocol/inspector, then connect to ${base}/mcp (Streamable HTTP) and follow the login\n`,
  ].join('\n'))
})

const stop = () => server.close(() => process.exit(0))
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
