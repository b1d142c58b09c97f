// The audit log from Node: AuditQuery (filters as a MongoDB query, paging by
// cursor), parseAuditTime, and the streaming CSV export (auditCsv,
// auditCsvStream) over dezky_core::audit. The CSV is checked against an
// encoder written here from RFC 4180 and the export's formula rule.
import assert from 'node:assert/strict'
import test from 'node:test'
import v8 from 'node:v8'
import vm from 'node:vm'

import {
  AuditQuery,
  TENANT,
  assertCode,
  auditCsv,
  auditCsvColumns,
  auditCsvStream,
  parseAuditTime,
} from '../__test__/helpers.mjs'

const invalid = (fn, field) => assertCode(fn, 'DEZKY_INVALID_ARGUMENT', { field })

const T0 = Date.UTC(2026, 11, 3, 14)
const objectId = (hex) => ({ toHexString: () => hex })
const hex = (i) => i.toString(16).padStart(24, '0')

const event = (i, extra = {}) => ({
  _id: objectId(hex(i + 1)),
  at: new Date(T0 - i * 1000).toISOString(),
  action: 'tenant.suspend',
  outcome: 'success',
  actorEmail: `ops${i}@dezky.eu`,
  targetType: 'tenant',
  targetId: `tenant-${i}`,
  tenantId: TENANT,
  metadata: { from: 'active', to: 'suspended' },
  ...extra,
})

// The reference encoder: RFC 4180 quoting, CRLF, a leading `'` on cells a
// spreadsheet would run as formulas.
const cell = (value) => {
  const text = value ?? ''
  const formula = /^[=+\-@\t\r]/.test(text)
  const quoted = formula || /[,"\r\n]/.test(text)
  const body = `${formula ? "'" : ''}${text.replace(/"/g, '""')}`
  return quoted ? `"${body}"` : body
}
const row = (cells) => `${cells.map(cell).join(',')}\r\n`
const eventRow = (e) =>
  row([
    e.at,
    e.action,
    e.outcome,
    e.actorEmail,
    e.targetType,
    e.targetId,
    e.tenantId,
    e.metadata && Object.keys(e.metadata).length ? JSON.stringify(e.metadata) : '',
  ])
const HEADER = row(['at', 'action', 'outcome', 'actorEmail', 'targetType', 'targetId', 'tenantId', 'metadata'])

async function text(chunks) {
  let out = ''
  for await (const chunk of chunks) out += chunk
  return out
}

test('AuditQuery.build: the filter document, order, limit and page size', () => {
  const query = AuditQuery.build(
    { q: 'a.b (c)', action: ['tenant.*', 'flag.create'], outcome: 'success', since: '2026-12-01', limit: 2 },
    TENANT,
  )
  assert.equal(query.limit, 3)
  assert.equal(query.pageSize, 2)
  assert.deepEqual(query.sort, { at: -1, _id: -1 })
  const [tenant, search, actions, outcome, at] = query.filter.$and
  assert.deepEqual(tenant, { tenantId: TENANT })
  assert.deepEqual(search.$or[0], { action: { $regex: 'a\\.b\\ \\(c\\)', $options: 'i' } })
  assert.deepEqual(actions, { $or: [{ action: { $regex: '^tenant\\.' } }, { action: { $in: ['flag.create'] } }] })
  assert.deepEqual(outcome, { outcome: 'success' })
  assert.deepEqual(at, { at: { $gte: '2026-12-01T00:00:00.000Z' } })
  assert.deepEqual(JSON.parse(JSON.stringify(query)), {
    filter: query.filter,
    sort: { at: -1, _id: -1 },
    limit: 3,
    pageSize: 2,
  })

  const all = AuditQuery.build()
  assert.deepEqual(all.filter, {})
  assert.equal(all.limit, 51)
  assert.deepEqual(AuditQuery.build(null, null).filter, {})
  // One action, as a query string carries it.
  assert.deepEqual(AuditQuery.build({ action: 'tenant.suspend' }).filter, { action: { $in: ['tenant.suspend'] } })
})

test('paging: nextCursor of a full page, the next query keeps what is older', () => {
  const query = AuditQuery.build({ limit: 2 }, TENANT)
  const page = [
    { _id: objectId(hex(3)), at: '2026-12-03T14:00:00.000Z' },
    { _id: hex(2).toUpperCase(), at: new Date(Date.UTC(2026, 11, 3, 13)) },
    { _id: { $oid: hex(1) }, at: '2026-12-03T12:00:00.000Z' },
  ]
  assert.equal(query.nextCursor(page.slice(0, 2)), null)
  assert.equal(query.nextCursor([]), null)
  const cursor = query.nextCursor(page)
  assert.equal(typeof cursor, 'string')
  const next = AuditQuery.build({ limit: 2, cursor }, TENANT)
  assert.deepEqual(next.filter.$and[1], {
    $or: [
      { at: { $lt: '2026-12-03T13:00:00.000Z' } },
      { at: '2026-12-03T13:00:00.000Z', _id: { $lt: { $oid: hex(2) } } },
    ],
  })
})

test('bad filters and pages name the field', async () => {
  await invalid(() => AuditQuery.build({ since: 'yesterday' }), 'since')
  await invalid(() => AuditQuery.build({ since: '2026-12-02', before: '2026-12-01' }), 'before')
  await invalid(() => AuditQuery.build({ action: ['tenant.suspend', '$where'] }), 'action[1]')
  await invalid(() => AuditQuery.build({ action: 5 }), 'action')
  await invalid(() => AuditQuery.build({ action: ['x', 5] }), 'action[1]')
  await invalid(() => AuditQuery.build({ limit: 0 }), 'limit')
  await invalid(() => AuditQuery.build({ limit: 501 }), 'limit')
  await invalid(() => AuditQuery.build({ limit: 'ten' }), 'limit')
  await invalid(() => AuditQuery.build({ outcome: 'maybe' }), 'outcome')
  await invalid(() => AuditQuery.build({ cursor: 'not-a-cursor' }), 'cursor')
  await invalid(() => AuditQuery.build({ colour: 'red' }), 'colour')
  await invalid(() => AuditQuery.build([]), 'filter')
  await invalid(() => AuditQuery.build({}, 'acme'), 'tenantId')
  const query = AuditQuery.build({ limit: 1 })
  await invalid(() => query.nextCursor([{ _id: 42, at: '2026-12-03T14:00:00Z' }, {}]), 'documents[0]._id')
  await invalid(() => query.nextCursor([{ _id: hex(1), at: 'noon' }, {}]), 'documents[0].at')
  await invalid(() => query.nextCursor({}), 'documents')
})

test('parseAuditTime: RFC 3339 with an offset or a date, in milliseconds', async () => {
  assert.equal(parseAuditTime('2026-12-03'), Date.UTC(2026, 11, 3))
  assert.equal(parseAuditTime('2026-12-03T16:00:00+02:00'), Date.UTC(2026, 11, 3, 14))
  assert.equal(parseAuditTime('2026-12-03T14:00:00.123Z'), Date.UTC(2026, 11, 3, 14, 0, 0, 123))
  await invalid(() => parseAuditTime('noon'), 'time')
  await invalid(() => parseAuditTime('1969-12-31', 'since'), 'since')
  await assertCode(() => parseAuditTime(5), 'DEZKY_INVALID_ARGUMENT', { argument: 'text' })
})

test('CSV: header, quoting, formula cells, metadata as JSON', async () => {
  assert.deepEqual(auditCsvColumns(), ['at', 'action', 'outcome', 'actorEmail', 'targetType', 'targetId', 'tenantId', 'metadata'])
  const events = [
    event(0),
    event(1, { targetId: '=SUM(A1:A9)', actorEmail: 'a,b@dezky.eu', metadata: { n: 1, note: 'say "hi"\nthen' } }),
    event(2, { targetId: '-1', tenantId: undefined, metadata: {}, outcome: 'denied' }),
    event(3, { targetId: '@cmd', actorEmail: '+4512345678', at: new Date(T0) }),
  ]
  const csv = await text(auditCsv(events))
  const expected = HEADER + events.map((e) => eventRow({ ...e, at: e.at instanceof Date ? e.at.toISOString() : e.at })).join('')
  assert.equal(csv, expected)
  assert.ok(csv.includes(`"'=SUM(A1:A9)"`))
  assert.ok(csv.includes(`"{""n"":1,""note"":""say \\""hi\\""\\nthen""}"`), csv)
  // No events: the header row alone.
  assert.equal(await text(auditCsv([])), HEADER)
  // Async iterables (a driver cursor) are read too.
  async function* cursor() {
    yield event(0)
    yield event(1)
  }
  assert.equal(await text(auditCsv(cursor(), { batchSize: 1 })), HEADER + eventRow(event(0)) + eventRow(event(1)))
})

test('CSV reads only the event fields of a driver document', async () => {
  const document = {
    ...event(0),
    _id: { toHexString() { throw new Error('the _id is not read') } },
    createdAt: new Date(T0),
    extra: { nested: [1, 2, 3] },
  }
  assert.equal(await text(auditCsv([document])), HEADER + eventRow(event(0)))
})

test('CSV metadata: ObjectIds and Dates as their JSON text; what JSON cannot hold is refused', async () => {
  const id = { toHexString: () => hex(7), toJSON: () => hex(7) }
  const csv = await text(auditCsv([event(0, { metadata: { tenant: id, when: new Date(T0), n: 1, list: [1, 'a'] } })]))
  const metadata = { tenant: hex(7), when: new Date(T0).toISOString(), n: 1, list: [1, 'a'] }
  assert.equal(csv, HEADER + eventRow(event(0, { metadata })))
  const cyclic = { a: 1 }
  cyclic.self = cyclic
  await invalid(() => text(auditCsv([event(0), event(1, { metadata: cyclic })])), 'events[1].metadata')
  await invalid(() => text(auditCsv([event(0, { metadata: { big: 1n } })])), 'events[0].metadata')
  await invalid(() => text(auditCsv([event(0, { metadata: [1] })])), 'events[0]')
})

test('CSV refusals: arguments at the call, a broken event at its batch naming its place', async () => {
  await assertCode(() => auditCsv(5), 'DEZKY_INVALID_ARGUMENT', { argument: 'events' })
  await assertCode(() => auditCsv(null), 'DEZKY_INVALID_ARGUMENT', { argument: 'events' })
  await invalid(() => auditCsv([], { batchSize: 0 }), 'options.batchSize')
  await invalid(() => auditCsv([], { batchSize: 1.5 }), 'options.batchSize')
  await invalid(() => auditCsv([], { batch: 5 }), 'options.batch')
  await assertCode(() => auditCsvStream(5), 'DEZKY_INVALID_ARGUMENT', { argument: 'events' })

  const chunks = auditCsv([event(0), event(1), { action: 'tenant.suspend' }, event(3)], { batchSize: 2 })
  const first = await chunks.next()
  assert.equal(first.value, HEADER + eventRow(event(0)) + eventRow(event(1)))
  const error = await invalid(() => chunks.next(), 'events[2]')
  assert.match(error.message, /missing field/)
  await invalid(() => text(auditCsv([event(0), { ...event(1), outcome: 'maybe' }])), 'events[1]')
  await invalid(() => text(auditCsv([event(0), 'tenant.suspend'])), 'events[1]')
})

// A lazily made stream of `count` events that counts how many were taken.
function source(count) {
  const state = { produced: 0, closed: false }
  state.events = (function* () {
    try {
      for (let i = 0; i < count; i++) {
        state.produced++
        yield event(i)
      }
    } finally {
      state.closed = true
    }
  })()
  return state
}

test('CSV of 100,000 events streams in constant memory', async () => {
  v8.setFlagsFromString('--expose-gc')
  const gc = vm.runInNewContext('gc')
  const count = 100_000
  const batchSize = 500
  const input = source(count)
  gc()
  const base = process.memoryUsage().heapUsed
  let peak = 0
  let rows = -1 // the header row
  let chars = 0
  let chunks = 0
  let ahead = 0
  let tail = ''
  for await (const chunk of auditCsv(input.events, { batchSize })) {
    rows += chunk.split('\r\n').length - 1
    chars += chunk.length
    // Events taken from the source but not yet handed out as rows.
    ahead = Math.max(ahead, input.produced - rows)
    tail = chunk
    if (++chunks % 25 === 0) {
      gc()
      peak = Math.max(peak, process.memoryUsage().heapUsed - base)
    }
  }
  assert.equal(rows, count)
  assert.ok(tail.endsWith(eventRow(event(count - 1))))
  assert.ok(input.closed)
  assert.ok(ahead <= batchSize, `read ${ahead} events ahead of the output`)
  // The export is ~17 MB of text; what stays alive is a batch, not the export.
  assert.ok(chars > 15_000_000, `${chars}`)
  assert.ok(peak < 8_000_000, `heap grew by ${peak} bytes`)
})

test('auditCsvStream: bytes as pulled; cancelling closes the source', async () => {
  const input = source(100_000)
  const stream = auditCsvStream(input.events, { batchSize: 100 })
  assert.ok(stream instanceof ReadableStream)
  // Nothing is read before the first pull.
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(input.produced, 0)
  const reader = stream.getReader()
  const first = await reader.read()
  assert.ok(first.value instanceof Uint8Array)
  const firstText = new TextDecoder().decode(first.value)
  assert.ok(firstText.startsWith(HEADER + eventRow(event(0))))
  assert.ok(input.produced <= 200, `${input.produced} events taken for one chunk`)
  await reader.cancel()
  assert.ok(input.closed)
  assert.ok(input.produced <= 200)

  const whole = await new Response(auditCsvStream([event(0), event(1)])).text()
  assert.equal(whole, HEADER + eventRow(event(0)) + eventRow(event(1)))
})
