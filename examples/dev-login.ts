// DEVELOPMENT ONLY: a login page with one fixed account, so `npm start` can be tried with a
// real MCP client. A real app plugs its own login into the same hook (see README).
import { timingSafeEqual } from 'node:crypto'
import type { Response } from 'express'
import { DEFAULT_LOGIN_PATH, type LoginHook, type PendingAuthorization } from '../src/authorization-server/index.js'

/** The demo account. Never ship a fixed password. */
export const DEMO_USER = { username: 'demo', password: 'demo-password' } as const

export interface DevelopmentLoginOptions {
  username: string
  password: string
  /** Where the form posts: the authorization server's `loginPath`. @default "/authorize/login" */
  action?: string
}

/**
 * A login hook that shows a username/password form and approves the demo account with
 * every scope the client asked for; `sub` is the username.
 */
export function createDevelopmentLogin(options: DevelopmentLoginOptions): LoginHook {
  const action = options.action ?? DEFAULT_LOGIN_PATH
  return (req, res, pending) => {
    const form = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>
    if (typeof form.username !== 'string' || typeof form.password !== 'string') {
      sendLoginPage(res, pending, action, 200)
      return undefined
    }
    if (form.username === options.username && sameSecret(form.password, options.password)) {
      return { subject: form.username }
    }
    sendLoginPage(res, pending, action, 403, 'Wrong username or password.')
    return undefined
  }
}

function sendLoginPage(res: Response, pending: PendingAuthorization, action: string, status: number, problem?: string): void {
  const client = pending.clientName ?? pending.clientId
  const destination = URL.canParse(pending.redirectUri) ? new URL(pending.redirectUri).host || pending.redirectUri : pending.redirectUri
  res.status(status).type('html').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Log in (development)</title></head>
<body>
<p style="background:#b00020;color:#fff;padding:1em;font-weight:bold">DEVELOPMENT LOGIN: one fixed demo account. Never deploy this page.</p>
<h1>Log in to let ${escape(client)} use the MCP server</h1>
<p>It asks for: ${pending.scopes.map(escape).join(', ') || 'no scopes'}. The code goes to ${escape(destination)}.</p>
${problem === undefined ? '' : `<p role="alert">${escape(problem)}</p>`}
<form method="post" action="${escape(action)}">
<input type="hidden" name="pending" value="${escape(pending.id)}">
<label>Username <input name="username" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Log in and allow</button>
</form>
</body></html>
`)
}

// bidi controls (U+202A-U+202E, U+2066-U+2069, U+200E/F) could make a client name read as
// another; C0/C1 controls have no place on the page: each becomes U+FFFD, then HTML is escaped
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

function escape(text: string): string {
  return text.replace(CONTROLS, '\ufffd').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}
