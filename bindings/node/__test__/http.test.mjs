// FlagStore.fromHttp against a real HTTP server on 127.0.0.1 (node:http) that
// serves a flag set with an ETag, answers 304 to a matching If-None-Match,
// checks the bearer token, and can be switched to fail with 503.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import { after, before, test } from 'node:test'

import { CONTEXT, FLAGS, FlagSet, FlagStore, assertCode } from './helpers.mjs'

const TOKEN = 'dzk_live_6d3f1c0e9b8a7f6e5d4c3b2a'

/** Every message and status the tests saw, checked for the token at the end. */
const seen = []
function record(value) {
  seen.push(value instanceof Error ? `${value.message} ${JSON.stringify({ ...value })} ${value.stack}` : JSON.stringify(value))
  return value
}

/** A control plane `GET /flags` whose answers the tests steer. */
class FlagServer {
  constructor() {
    this.flags = FLAGS
    this.etag = '"v1"'
    this.failWith = null // an HTTP status to answer with instead of the flags
    this.body = null // a raw body to serve instead of the flags
    this.requests = []
    this.server = createServer((req, res) => this.handle(req, res))
  }

  async listen() {
    this.server.listen(0, '127.0.0.1')
    await once(this.server, 'listening')
    this.url = `http://127.0.0.1:${this.server.address().port}/flags`
    return this
  }

  handle(req, res) {
    const request = { method: req.method, url: req.url, authorization: req.headers.authorization, ifNoneMatch: req.headers['if-none-match'] }
    this.requests.push(request)
    if (req.method !== 'GET' || req.url !== '/flags') return this.answer(res, request, 404)
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return this.answer(res, request, 401)
    if (this.failWith !== null) return this.answer(res, request, this.failWith, { 'x-request-id': 'req-failing' })
    if (req.headers['if-none-match'] === this.etag) return this.answer(res, request, 304, { etag: this.etag })
    const body = this.body ?? JSON.stringify(this.flags)
    this.answer(res, request, 200, { 'content-type': 'application/json', etag: this.etag }, body)
  }

  answer(res, request, status, headers = {}, body = '') {
    request.status = status
    res.writeHead(status, headers)
    res.end(body)
  }

  /** Publishes a new flag set under a new ETag. */
  publish(flags, etag) {
    this.flags = flags
    this.etag = etag
  }

  get last() {
    return this.requests.at(-1)
  }

  async close() {
    this.server.closeAllConnections()
    this.server.close()
    await once(this.server, 'close')
  }
}

let server
before(async () => {
  server = await new FlagServer().listen()
})
after(async () => {
  await server.close()
  // No message or status anywhere in this file carried the token.
  assert.ok(seen.length > 10, `collected ${seen.length} messages`)
  for (const text of seen) assert.equal(text.includes(TOKEN), false, `token leaked: ${text}`)
})

function reset() {
  server.publish(FLAGS, '"v1"')
  server.failWith = null
  server.body = null
}

test('fromHttp loads the set with the bearer token and reports the source', async () => {
  reset()
  const store = await FlagStore.fromHttp(server.url, { token: TOKEN })
  assert.ok(store instanceof FlagStore)
  assert.deepEqual(server.last, { method: 'GET', url: '/flags', authorization: `Bearer ${TOKEN}`, ifNoneMatch: undefined, status: 200 })
  assert.deepEqual(store.evaluateAll(CONTEXT), FlagSet.fromFlags(FLAGS).evaluateAll(CONTEXT))
  const status = record(store.status())
  assert.equal(status.source, server.url)
  assert.equal(status.version, '"v1"')
  assert.equal(status.flagCount, FLAGS.length)
  assert.equal(status.consecutiveFailures, 0)
  assert.equal(status.stale, false)
})

test('refresh revalidates with If-None-Match: 304 keeps the set, a new ETag swaps it', async () => {
  reset()
  const store = await FlagStore.fromHttp(server.url, { token: TOKEN, staleAfterMs: 60000 })
  const before = store.flags()

  assert.deepEqual(await store.refresh(), { outcome: 'unchanged', changed: [] })
  assert.equal(server.last.ifNoneMatch, '"v1"')
  assert.equal(server.last.status, 304)
  assert.equal(store.flags().toJson(), before.toJson())
  assert.equal(store.status().version, '"v1"')

  const changes = []
  store.onChange((keys) => changes.push(keys))
  server.publish(
    FLAGS.map((f) => (f.key === 'always_on' ? { ...f, state: 'off' } : f)).concat({ key: 'from_http', state: 'on' }),
    '"v2"',
  )
  assert.deepEqual(await store.refresh(), { outcome: 'updated', changed: ['always_on', 'from_http'] })
  assert.equal(server.last.ifNoneMatch, '"v1"')
  assert.equal(server.last.status, 200)
  assert.equal(store.status().version, '"v2"')
  assert.equal(store.evaluate('always_on', CONTEXT).value, false)
  assert.equal(store.evaluateAll(CONTEXT).from_http, true)

  assert.deepEqual(await store.refresh(), { outcome: 'unchanged', changed: [] })
  assert.equal(server.last.ifNoneMatch, '"v2"')
  await new Promise((resolve) => setTimeout(resolve, 20))
  assert.deepEqual(changes, [['always_on', 'from_http']])
  store.close()
})

test('503 keeps the last good set and status() reports the failure until a success', async () => {
  reset()
  const store = await FlagStore.fromHttp(server.url, { token: TOKEN })
  const good = store.evaluateAll(CONTEXT)

  server.failWith = 503
  server.publish([{ key: 'never_seen', state: 'on' }], '"v3"')
  const error = record(await assertCode(() => store.refresh(), 'DEZKY_FLAG_SOURCE', { source: server.url }))
  assert.match(error.message, /503/)
  record(await assertCode(() => store.refresh(), 'DEZKY_FLAG_SOURCE'))
  assert.equal(server.last.status, 503)
  assert.equal(server.last.authorization, `Bearer ${TOKEN}`)

  assert.deepEqual(store.evaluateAll(CONTEXT), good, 'the last good set keeps serving')
  const failing = record(store.status())
  assert.equal(failing.consecutiveFailures, 2)
  assert.equal(failing.lastErrorCode, 'DEZKY_FLAG_SOURCE')
  assert.match(failing.lastError, /503/)
  assert.equal(failing.version, '"v1"')
  assert.equal(failing.flagCount, FLAGS.length)

  server.failWith = null
  assert.deepEqual(await store.refresh(), { outcome: 'updated', changed: ['always_off', 'always_on', 'gdpr_export_v2', 'jmap_native_v2', 'never_seen', 'new_billing_engine', 'partner_portal'] })
  const recovered = record(store.status())
  assert.equal(recovered.consecutiveFailures, 0)
  assert.equal(recovered.lastError, undefined)
  assert.equal(recovered.lastErrorCode, undefined)
  assert.equal(recovered.version, '"v3"')
})

test('start() refreshes from HTTP in the background', async () => {
  reset()
  const store = await FlagStore.fromHttp(server.url, { token: TOKEN, intervalMs: 20, maxBackoffMs: 100 })
  const changed = new Promise((resolve) => store.onChange(resolve))
  store.start()
  server.publish([...FLAGS, { key: 'background', state: 'on' }], '"v4"')
  assert.deepEqual(await changed, ['background'])
  assert.equal(store.evaluateAll(CONTEXT).background, true)
  server.failWith = 503
  const deadline = Date.now() + 5000
  while (store.status().consecutiveFailures === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
  const status = record(store.status())
  assert.ok(status.consecutiveFailures > 0)
  assert.equal(status.refreshing, true)
  assert.equal(store.evaluateAll(CONTEXT).background, true)
  store.close()
  assert.equal(store.status().refreshing, false)
})

test('fromHttp rejects when the first fetch fails, without the token in the error', async () => {
  reset()
  const wrongToken = record(await assertCode(() => FlagStore.fromHttp(server.url, { token: `${TOKEN}-old` }), 'DEZKY_FLAG_SOURCE', { source: server.url }))
  assert.match(wrongToken.message, /401/)
  assert.equal(wrongToken.message.includes(`${TOKEN}-old`), false)
  record(await assertCode(() => FlagStore.fromHttp(server.url), 'DEZKY_FLAG_SOURCE'))
  assert.equal(server.last.authorization, undefined, 'no token, no Authorization header')

  server.failWith = 503
  record(await assertCode(() => FlagStore.fromHttp(server.url, { token: TOKEN }), 'DEZKY_FLAG_SOURCE'))
  server.failWith = null

  server.body = '[{"key": "broken",'
  record(await assertCode(() => FlagStore.fromHttp(server.url, { token: TOKEN }), 'DEZKY_MALFORMED_JSON'))
  server.body = JSON.stringify([{ key: 'a', state: 'rollout', pct: 300 }])
  record(await assertCode(() => FlagStore.fromHttp(server.url, { token: TOKEN }), 'DEZKY_INVALID_FLAG', { flag: 'a', field: 'pct' }))
  server.body = null

  const closed = createServer()
  closed.listen(0, '127.0.0.1')
  await once(closed, 'listening')
  const deadUrl = `http://127.0.0.1:${closed.address().port}/flags`
  closed.close()
  await once(closed, 'close')
  record(await assertCode(() => FlagStore.fromHttp(deadUrl, { token: TOKEN }), 'DEZKY_FLAG_SOURCE', { source: deadUrl }))

  const badHeader = record(await assertCode(() => FlagStore.fromHttp(server.url, { token: `${TOKEN}\n` }), 'DEZKY_CONFIG'))
  assert.match(badHeader.message, /token/)
})

test('fromHttp bad input: typed errors, never the token', async () => {
  const cases = [
    [() => FlagStore.fromHttp(), 'DEZKY_INVALID_ARGUMENT', { argument: 'url' }],
    [() => FlagStore.fromHttp(42, { token: TOKEN }), 'DEZKY_INVALID_ARGUMENT', { argument: 'url' }],
    [() => FlagStore.fromHttp('not a url', { token: TOKEN }), 'DEZKY_CONFIG', { field: 'url' }],
    [() => FlagStore.fromHttp('ftp://127.0.0.1/flags', { token: TOKEN }), 'DEZKY_CONFIG', { field: 'url' }],
    [() => FlagStore.fromHttp(`http://ops:${TOKEN}@127.0.0.1/flags`), 'DEZKY_CONFIG', { field: 'url' }],
    [() => FlagStore.fromHttp(server.url, { token: 42 }), 'DEZKY_INVALID_ARGUMENT', { argument: 'token' }],
    [() => FlagStore.fromHttp(server.url, { token: ' ' }), 'DEZKY_INVALID_ARGUMENT', { argument: 'token' }],
    [() => FlagStore.fromHttp(server.url, { token: TOKEN, intervalMs: 'soon' }), 'DEZKY_INVALID_ARGUMENT', { argument: 'intervalMs' }],
    [() => FlagStore.fromHttp(server.url, { token: TOKEN, intervalMs: 0 }), 'DEZKY_INVALID_ARGUMENT', { argument: 'interval' }],
    [() => FlagStore.fromHttp(server.url, { tokn: TOKEN }), 'DEZKY_INVALID_ARGUMENT', { argument: 'tokn' }],
    [() => FlagStore.fromHttp(server.url, TOKEN), 'DEZKY_INVALID_ARGUMENT', { argument: 'options' }],
    [() => FlagStore.fromFile('flags.json', { token: TOKEN }), 'DEZKY_INVALID_ARGUMENT', { argument: 'token' }],
  ]
  for (const [call, code, details] of cases) {
    const error = record(await assertCode(call, code, details))
    assert.equal(error.message.includes(TOKEN), false, error.message)
  }
})
