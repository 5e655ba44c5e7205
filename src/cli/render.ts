// Text for people: the decoded (unverified) header and claims, and `explain`'s report,
// check by check. Only formats what explain.ts decided; decides nothing.
import { formatInstant, type ExplainCheck, type ExplainReport } from './explain.js'

/** The banners over what is decoded but not verified: by `explain`, and by `inspect`. */
export const NOT_VERIFIED_BANNER = 'Decoded, NOT VERIFIED: anyone can write these fields; the checks below decide'
export const UNVERIFIED_BANNER = 'UNVERIFIED: decoded only, nothing checked; anyone can write these fields (verify or explain checks them)'

const TIME_CLAIMS = new Set(['exp', 'iat', 'nbf'])

/**
 * The header and claims as `name  value` lines, times with their ISO 8601 form.
 * Absent parts (a segment that does not decode) are said so.
 */
export function renderDecoded(
  header: Record<string, unknown> | undefined,
  claims: Record<string, unknown> | undefined,
  banner: string,
): string {
  const rows: [string, string][] = [['header', header === undefined ? '(does not decode)' : JSON.stringify(header)]]
  if (claims === undefined) rows.push(['payload', '(does not decode)'])
  else {
    for (const [name, value] of Object.entries(claims)) {
      const time = TIME_CLAIMS.has(name) && typeof value === 'number' ? ` (${formatInstant(value)})` : ''
      rows.push([name, `${JSON.stringify(value)}${time}`])
    }
  }
  const width = Math.max(...rows.map(([name]) => name.length))
  return `${banner}\n${rows.map(([name, value]) => `  ${name.padEnd(width)}  ${value}`).join('\n')}\n`
}

const MARK: Record<ExplainCheck['status'], string> = { pass: '[ok]  ', fail: '[FAIL]', skip: '[skip]' }

/** The whole `explain` report: decoded token, each check, the verdict. */
export function renderReport(report: ExplainReport): string {
  const width = Math.max(...report.checks.map((c) => c.name.length))
  const indent = ' '.repeat(2 + 6 + 1 + width + 2)
  const checks = report.checks.map((c) => {
    const lines = [`  ${MARK[c.status]} ${c.name.padEnd(width)}  expected: ${c.expected}`, `${indent}found:    ${c.found}`]
    if (c.hint !== undefined) lines.push(`${indent}${c.status === 'fail' ? 'cause:' : 'note: '}    ${c.hint}`)
    return lines.join('\n')
  })
  return `${renderDecoded(report.header, report.claims, NOT_VERIFIED_BANNER)}\nChecks\n${checks.join('\n')}\n\n${renderVerdict(report)}\n`
}

function renderVerdict(report: ExplainReport): string {
  switch (report.verdict) {
    case 'accepted':
      return 'Verdict: ACCEPTED: a server with these settings accepts this token'
    case 'refused':
      return `Verdict: REFUSED (${report.reason}): ${report.description}`
    case 'undecided': {
      const skipped = report.checks.filter((c) => c.status === 'skip').map((c) => c.name)
      return `Verdict: UNDECIDED: nothing failed, but ${skipped.join(', ')} could not be checked (see the notes)`
    }
  }
}
