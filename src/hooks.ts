// Calling a user's diagnostics hook (onVerified, onRejected, onRefresh, onStoreError): what
// it throws, or a promise it returns rejecting, never changes a verdict or crashes anything.

/** Calls `hook(event)` if there is one, ignoring whatever it throws or rejects with. */
export function callHook<E>(hook: ((event: E) => unknown) | undefined, event: E): void {
  if (hook === undefined) return
  try {
    const result = hook(event)
    if (result instanceof Promise) result.catch(() => {})
  } catch {
    // ignored on purpose: diagnostics must not decide anything
  }
}
