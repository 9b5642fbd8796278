// Send Segment-spec messages to questlog with @segment/analytics-node, default batching and retries.
// Usage: node send.mjs HOST WRITE_KEY MESSAGES.json
// MESSAGES.json: [{"type": "track"|"identify", "userId", "event", "properties", "timestamp", "messageId",
// "context"}, ...]. Prints one JSON line: {"sent": n, "errors": [...]}; exits 1 when the SDK reported errors.
import { readFileSync } from 'node:fs'
import { Analytics } from '@segment/analytics-node'

const [host, writeKey, file] = process.argv.slice(2)
const messages = JSON.parse(readFileSync(file, 'utf8'))
const analytics = new Analytics({ writeKey, host })
const errors = []
analytics.on('error', (err) => errors.push(String(err.reason ?? err.message ?? err)))

for (const m of messages) {
  const params = { userId: m.userId, messageId: m.messageId, context: m.context }
  if (m.timestamp) params.timestamp = m.timestamp
  if (m.type === 'identify') {
    analytics.identify({ ...params, traits: m.traits ?? {} })
  } else {
    analytics.track({ ...params, event: m.event, properties: m.properties })
  }
}
await analytics.closeAndFlush({ timeout: 60000 })
console.log(JSON.stringify({ sent: messages.length, errors }))
process.exit(errors.length ? 1 : 0)
