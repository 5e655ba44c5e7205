// `fastmcp-auth inspect`: decodes a token's header and payload without checking anything,
// and says so. Exit 0 when both decode, 1 when they do not.
import { decodeJsonSegment, splitCompact } from '../../compact.js'
import { readTokenArgument, type CliIo } from '../io.js'
import { renderDecoded, UNVERIFIED_BANNER } from '../render.js'
import { EXIT_OK, EXIT_REFUSED, flagOption, type Command, type ParsedArgs } from '../usage.js'

const help = `Usage: fastmcp-auth inspect TOKEN|- [--json]

Decodes a token's header and payload. Nothing is verified: no key is needed, and anyone
can write what it shows. Exit 0 when it decodes, 1 when it does not.

  TOKEN | -                the token, or - to read it from stdin
  --json                   print { "verified": false, "header", "payload" }
`

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'decode a token without verifying it',
  help,
  options: { json: { type: 'boolean' } },
  positionals: ['TOKEN|-'],
  async run(args: ParsedArgs, io: CliIo): Promise<number> {
    const token = await readTokenArgument(args.positionals[0]!, io, 'inspect')
    let header: Record<string, unknown>
    let payload: Record<string, unknown>
    try {
      const segments = splitCompact(token)
      header = decodeJsonSegment(segments.header)
      payload = decodeJsonSegment(segments.payload)
    } catch {
      io.stderr('inspect: not a compact JWT (three base64url segments holding JSON objects)\n')
      return EXIT_REFUSED
    }
    io.stdout(flagOption(args, 'json') ? `${JSON.stringify({ verified: false, header, payload }, null, 2)}\n` : renderDecoded(header, payload, UNVERIFIED_BANNER))
    return EXIT_OK
  },
}
