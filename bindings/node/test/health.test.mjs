// probeAll against listeners on 127.0.0.1: an open and a closed port, HTTP
// servers answering at once, after 700 ms and with a wrong status, and a name
// that does not resolve.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import { createServer as createTcpServer } from 'node:net'
import { after, before, test } from 'node:test'

import { probeAll, assertCode } from '../__test__/helpers.mjs'

let http
let tcp
let closedPort

before(async () => {
  http = createServer((req, res) => {
    const answer = () => {
      res.writeHead(req.url === '/broken' ? 503 : 200)
      res.end('ok')
    }
    if (req.url === '/slow') setTimeout(answer, 700)
    else answer()
  })
  http.listen(0, '127.0.0.1')
  tcp = createTcpServer((socket) => socket.end())
  tcp.listen(0, '127.0.0.1')
  const closed = createTcpServer()
  closed.listen(0, '127.0.0.1')
  await Promise.all([once(http, 'listening'), once(tcp, 'listening'), once(closed, 'listening')])
  closedPort = closed.address().port
  closed.close()
})
after(() => {
  http.close()
  tcp.close()
})

test('probeAll classifies targets in parallel', async () => {
  const url = `http://127.0.0.1:${http.address().port}`
  const started = Date.now()
  const results = await probeAll([
    { name: 'db', type: 'tcp', host: '127.0.0.1', port: tcp.address().port },
    { name: 'closed', type: 'tcp', host: '127.0.0.1', port: closedPort },
    { name: 'api', type: 'http', url: `${url}/health` },
    { name: 'slow', type: 'http', url: `${url}/slow` },
    { name: 'broken', type: 'http', url: `${url}/broken` },
    { name: 'broken-ok', type: 'http', url: `${url}/broken`, expectedStatus: { min: 500, max: 503 } },
    { name: 'dns', type: 'tcp', host: 'nonexistent.invalid', port: 443 },
    { name: 'short', type: 'http', url: `${url}/slow`, timeoutMs: 200 },
  ])
  assert.ok(Date.now() - started < 1400, 'parallel')
  const by = Object.fromEntries(results.map((r) => [r.name, r]))
  assert.deepEqual(results.map((r) => r.name), ['db', 'closed', 'api', 'slow', 'broken', 'broken-ok', 'dns', 'short'])
  assert.equal(by.db.status, 'ok')
  assert.equal(by.closed.status, 'down')
  assert.match(by.closed.error, /refused/)
  assert.equal(by.api.status, 'ok')
  assert.equal(by.api.httpStatus, 200)
  assert.equal(by.slow.status, 'warn')
  assert.ok(by.slow.latencyMs >= 700)
  assert.equal(by.broken.status, 'down')
  assert.equal(by.broken.httpStatus, 503)
  assert.equal(by.broken.error, 'status 503, expected 200-299')
  assert.equal(by['broken-ok'].status, 'ok')
  assert.equal(by.dns.status, 'down')
  assert.equal(by.short.status, 'down')
  assert.equal(by.short.error, 'timed out after 200 ms')
})

test('thresholds are configurable', async () => {
  const url = `http://127.0.0.1:${http.address().port}/slow`
  const [result] = await probeAll([{ name: 'slow', type: 'http', url }], { okMs: 1000, warnMs: 2000 })
  assert.equal(result.status, 'ok')
  const [late] = await probeAll([{ name: 'slow', type: 'http', url }], { okMs: 100, warnMs: 300 })
  assert.equal(late.status, 'down')
})

test('malformed targets reject with DEZKY_INVALID_ARGUMENT', async () => {
  await assertCode(() => probeAll('nope'), 'DEZKY_INVALID_ARGUMENT')
  await assertCode(() => probeAll([{ name: 'x', type: 'udp' }]), 'DEZKY_INVALID_ARGUMENT', { field: 'targets[0].type' })
  await assertCode(() => probeAll([{ name: 'x', type: 'tcp', host: 'h', port: 70000 }]), 'DEZKY_INVALID_ARGUMENT', { field: 'targets[0].port' })
  await assertCode(() => probeAll([{ name: 'x', type: 'http', url: 'http://x', expectedStatus: 42 }]), 'DEZKY_INVALID_ARGUMENT')
  assert.deepEqual(await probeAll([]), [])
})
