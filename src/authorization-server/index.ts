// The public surface of `fastmcp-auth-express/authorization-server`, nothing else.
export {
  DEFAULT_CLIENT_LIFETIME,
  DEFAULT_CODE_LIFETIME,
  DEFAULT_LOGIN_PATH,
  DEFAULT_PENDING_LIFETIME,
  createAuthorizationServer,
} from './server.js'
export type { AuthorizationServerOptions, FastMcpAuthorizationServer, RateLimitSetting } from './server.js'
export type { LoginHook, LoginResult, PendingAuthorization } from './authorizations.js'
