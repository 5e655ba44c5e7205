// The public surface, nothing else.
export { DEFAULT_SALT, DERIVED_KEY_LENGTH, KDF_ITERATIONS, deriveJwtKey } from './keys.js'
export type { DeriveJwtKeyInput, HighEntropyKeyInput, LowEntropyKeyInput } from './keys.js'
export { DEFAULT_ACCESS_TOKEN_LIFETIME, DEFAULT_MAX_TOKEN_LIFETIME, JWTIssuer, RESERVED_CLAIMS } from './issuer.js'
export type {
  Clock,
  ExpectedTokenUse,
  IssueAccessTokenInput,
  IssueRefreshTokenInput,
  IssueTokenInput,
  JWTIssuerOptions,
  SigningKey,
  VerifyTokenOptions,
} from './issuer.js'
export {
  FastMcpAuthError,
  InsufficientScopeError,
  InvalidRequestError,
  InvalidTokenError,
  KeyUnavailableError,
  MissingTokenError,
  OAuthError,
  StoreUnavailableError,
  formatChallenge,
} from './errors.js'
export type {
  ClaimMismatch,
  FastMcpAuthErrorBody,
  FastMcpAuthErrorCode,
  FastMcpAuthErrorReason,
  InsufficientScopeReason,
  InvalidRequestReason,
  InvalidTokenReason,
  MissingTokenReason,
  OAuthErrorCode,
  UnavailableReason,
} from './errors.js'
export { getAuthInfo, getFastMcpClaims, parseScopes } from './types.js'
export type { AuthInfo, FastMcpAuthExtra, FastMcpClaims, JsonValue, RequestWithAuth } from './types.js'
export { DEFAULT_REFRESH_TOKEN_LIFETIME, MIN_SECRET_LENGTH, createFastMcpAuth } from './auth.js'
export type { FastMcpAuth, FastMcpAuthOptions, IssuedToken, MintInput, TokenResponse, TokenResponseInput } from './auth.js'
export { DEFAULT_MAX_TOKEN_LENGTH } from './bearer.js'
export { METRIC_NAMES } from './metrics.js'
export type { FastMcpAuthStats, MeterProviderLike } from './metrics.js'
export { DEFAULT_CACHE_MAX } from './cache.js'
export { sendAuthError } from './middleware.js'
export type { FastMcpMiddleware, NextFunction, RejectedEvent, VerifiedEvent } from './middleware.js'
export { MemoryTokenStore } from './store/memory.js'
export type { MemoryTokenStoreOptions } from './store/memory.js'
export type {
  FamilyMember,
  RefreshTokenUse,
  RevocationEntry,
  StoreErrorEvent,
  TokenStore,
  UseRefreshTokenInput,
} from './store/types.js'
export type { ExchangeRefreshTokenOptions, RefreshEvent, RefreshResult } from './rotation.js'
export type { AuthenticatedClient, OAuthParams, RevocationEndpointOptions, TokenEndpointOptions } from './endpoints.js'
export { buildProtectedResourceMetadata, createProtectedResourceMetadataHandler, protectedResourceMetadataUrl } from './metadata.js'
export type { ProtectedResourceMetadata, ProtectedResourceMetadataOptions } from './metadata.js'
export type { ScopeHierarchy } from './scopes.js'
export type { RequireToolScopesOptions, ToolScopes } from './tool-scopes.js'
export { HEADER_MISMATCH_ERROR_CODE, HeaderMismatchError } from './jsonrpc.js'
export type { JsonRpcErrorResponse } from './jsonrpc.js'
