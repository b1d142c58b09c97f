// The audit log's CSV export (auditCsv) over 1,000,000 generated events, as a
// control plane streams it from a driver cursor into a response: the events are
// made one at a time by an async generator and the chunks are written to a sink
// that keeps only their length. Prints the time, the rate, and the peak heap
// and RSS above the start, sampled after a GC every 50 chunks; for comparison,
// the heap of the same export gathered into one string first.
//
//   node --expose-gc bench/audit_csv.mjs [--quick] [--batch N]
import { auditCsv } from '../lib/index.mjs'

const quick = process.argv.includes('--quick')
const count = quick ? 100_000 : 1_000_000
const batchAt = process.argv.indexOf('--batch')
const batchSize = batchAt > 0 ? Number(process.argv[batchAt + 1]) : 500
const gc = globalThis.gc ?? (() => {})
const T0 = Date.UTC(2026, 11, 3)

async function* cursor(n) {
  for (let i = 0; i < n; i++) {
    yield {
      _id: { toHexString: () => i.toString(16).padStart(24, '0') },
      at: new Date(T0 - i * 1000).toISOString(),
      action: i % 7 === 0 ? 'tenant.suspend' : 'flag.update',
      outcome: 'success',
      actorEmail: `ops${i % 100}@dezky.eu`,
      targetType: i % 7 === 0 ? 'tenant' : 'flag',
      targetId: `target-${i}`,
      tenantId: '6650f1c2a9b4e3d2c1b0a998',
      metadata: { before: { state: 'off' }, after: { state: 'rollout', pct: i % 100 } },
    }
  }
}

async function run(label, consume) {
  gc()
  const heap0 = process.memoryUsage().heapUsed
  const rss0 = process.memoryUsage().rss
  let peakHeap = 0
  let peakRss = 0
  const sample = () => {
    gc()
    const m = process.memoryUsage()
    peakHeap = Math.max(peakHeap, m.heapUsed - heap0)
    peakRss = Math.max(peakRss, m.rss - rss0)
  }
  const start = process.hrtime.bigint()
  const bytes = await consume(sample)
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  sample()
  const mb = (n) => `${(n / 2 ** 20).toFixed(1)} MiB`
  console.log(
    `${label}: ${count.toLocaleString('en')} events, ${mb(bytes)} of CSV in ${(ms / 1000).toFixed(2)} s ` +
      `(${Math.round(count / (ms / 1000)).toLocaleString('en')} events/s); peak heap +${mb(peakHeap)}, peak RSS +${mb(peakRss)}`,
  )
}

if (!globalThis.gc) console.log('(run with --expose-gc for exact heap figures)')

await run(`streamed, batches of ${batchSize}`, async (sample) => {
  let bytes = 0
  let chunks = 0
  for await (const chunk of auditCsv(cursor(count), { batchSize })) {
    bytes += chunk.length
    if (++chunks % 50 === 0) sample()
  }
  return bytes
})

await run('gathered into one string', async (sample) => {
  const parts = []
  for await (const chunk of auditCsv(cursor(count), { batchSize })) {
    parts.push(chunk)
    if (parts.length % 50 === 0) sample()
  }
  const all = parts.join('')
  sample()
  return all.length
})
