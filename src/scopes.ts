// Scope hierarchies and scope lists. MCP 2026-07-28 (Authorization, scope challenges)
// says servers MUST account for scope hierarchies: a broader scope satisfies the narrower
// ones it implies. RFC 6749 §3.3 gives the scope-token grammar.
import { isPlainObject } from './types.js'

/**
 * Which scopes each scope implies, transitively: `{ 'notes:write': ['notes:read'],
 * admin: ['notes:write'] }` makes `admin` satisfy `notes:write` and `notes:read`.
 */
export type ScopeHierarchy = Readonly<Record<string, readonly string[]>>

/** A compiled hierarchy: built once at set-up, read on every new token. */
export interface ScopeExpansion {
  /**
   * The token's own scopes first, in their order, then every scope they imply that is not
   * already there (in the hierarchy's declaration order). Returns `granted` itself when
   * nothing is implied, so a token without broader scopes costs no new array.
   */
  expand(granted: readonly string[]): readonly string[]
}

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/

/** Whether `value` is an RFC 6749 §3.3 scope-token (printable ASCII, no space, `"` or `\`). */
export function isScopeToken(value: unknown): value is string {
  return typeof value === 'string' && SCOPE_TOKEN.test(value)
}

/**
 * Checks a list of scopes given as an option, returning a frozen copy.
 *
 * @throws {TypeError} naming `name` when it is not an array of RFC 6749 §3.3 scope-tokens
 */
export function readScopeList(value: unknown, name: string): readonly string[] {
  if (!Array.isArray(value) || !value.every(isScopeToken)) {
    throw new TypeError(`${name} must be an array of scope-tokens (printable ASCII, no spaces, quotes or backslashes)`)
  }
  return Object.freeze([...new Set(value as string[])])
}

const NO_EXPANSION: ScopeExpansion = { expand: (granted) => granted }

/**
 * Compiles `hierarchy` into a lookup of every scope each scope implies (transitive
 * closure), so a request pays a Map read per granted scope and nothing else.
 *
 * @param name - how error messages name the option, e.g. "createFastMcpAuth: `scopeHierarchy`"
 * @throws {TypeError} naming the option when it is not an object of scope-token arrays, or
 *   when it has a cycle (`a -> b -> a`, or a scope that implies itself), which it names
 * @example
 * const { expand } = compileScopeHierarchy({ admin: ['notes:write'], 'notes:write': ['notes:read'] }, 'scopeHierarchy')
 * expand(['admin']) // ['admin', 'notes:write', 'notes:read']
 */
export function compileScopeHierarchy(hierarchy: ScopeHierarchy | undefined, name: string): ScopeExpansion {
  if (hierarchy === undefined) return NO_EXPANSION
  if (!isPlainObject(hierarchy)) {
    throw new TypeError(`${name} must be an object mapping each scope to the scopes it implies`)
  }
  // a Map, not the object: scopes such as "constructor" must not reach Object.prototype
  const edges = new Map<string, readonly string[]>()
  for (const [scope, implied] of Object.entries(hierarchy)) {
    if (!isScopeToken(scope)) throw new TypeError(`${name} has a key that is not a scope-token: ${JSON.stringify(scope)}`)
    edges.set(scope, readScopeList(implied, `${name}[${JSON.stringify(scope)}]`))
  }
  const closure = new Map<string, readonly string[]>()
  // depth-first with the path on a stack: a scope met again on its own path is a cycle
  const visit = (scope: string, path: string[]): readonly string[] => {
    const done = closure.get(scope)
    if (done !== undefined) return done
    const start = path.indexOf(scope)
    if (start !== -1) throw new TypeError(`${name} has a cycle: ${[...path.slice(start), scope].join(' -> ')}`)
    path.push(scope)
    const seen = new Set<string>()
    for (const child of edges.get(scope) ?? []) {
      seen.add(child)
      for (const implied of visit(child, path)) seen.add(implied)
    }
    path.pop()
    const all = Object.freeze([...seen])
    closure.set(scope, all)
    return all
  }
  for (const scope of edges.keys()) visit(scope, [])
  if ([...closure.values()].every((implied) => implied.length === 0)) return NO_EXPANSION
  return {
    expand(granted) {
      let out: string[] | undefined
      let have: Set<string> | undefined
      for (const scope of granted) {
        const implied = closure.get(scope)
        if (implied === undefined || implied.length === 0) continue
        if (out === undefined) {
          out = [...granted]
          have = new Set(granted)
        }
        for (const extra of implied) {
          if (!have!.has(extra)) {
            have!.add(extra)
            out.push(extra)
          }
        }
      }
      return out ?? granted
    },
  }
}
