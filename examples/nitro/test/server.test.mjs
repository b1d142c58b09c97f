// Builds the Nitro app, starts it on 127.0.0.1 on a free port, calls
// POST /api/flags/evaluate over HTTP, checks the answers, then stops it.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer as createHttpServer } from 'node:http'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'

import { FlagSet } from '@dezky/sdk'

const root = fileURLToPath(new URL('..', import.meta.url))
const flags = FlagSet.fromJson(readFileSync(new URL('../flags/flags.json', import.meta.url), 'utf8'))
let server
let base

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

async function post(body, at = base) {
  const response = await fetch(`${at}/api/flags/evaluate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: response.status, body: await response.json() }
}

/** Starts the built server on a free port with `env`; resolves with it and its base URL. */
async function startServer(env) {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  let log = ''
  const child = spawn(process.execPath, ['.output/server/index.mjs'], {
    cwd: root,
    env: { ...process.env, NITRO_HOST: '127.0.0.1', NITRO_PORT: String(port), DEZKY_FLAGS_FILE: '', DEZKY_FLAGS_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout.on('data', (d) => (log += d))
  child.stderr.on('data', (d) => (log += d))
  const deadline = Date.now() + 15000
  for (;;) {
    try {
      await fetch(url)
      return { child, url, log: () => log }
    } catch {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill()
        throw new Error(`server did not start:\n${log}`)
      }
      await sleep(100)
    }
  }
}

before(async () => {
  if (process.env.SKIP_NITRO_BUILD !== '1') {
    const build = spawnSync('npx', ['nitro', 'build'], { cwd: root, encoding: 'utf8' })
    assert.equal(build.status, 0, `nitro build failed:\n${build.stdout}\n${build.stderr}`)
  }
  const started = await startServer({})
  server = started.child
  base = started.url
})

after(() => {
  server?.kill()
})

test('POST /api/flags/evaluate answers evaluateAll for the context', async () => {
  const context = {
    tenantId: '6650f1c2a9b4e3d2c1b0a998',
    tenantSlug: 'acme',
    plan: 'business',
    partnerSlug: 'nordic-it',
    environment: 'prod',
  }
  const { status, body } = await post(context)
  assert.equal(status, 200, JSON.stringify(body))
  assert.deepEqual(body, flags.evaluateAll(context))
  assert.deepEqual(body, {
    gdpr_export_v2: true, // bucket 12 < 25
    new_billing_engine: false, // bucket 29 >= 10
    jmap_native_v2: true,
    partner_portal: true,
    maintenance_banner: false,
  })
})

test('a tenant without partner on another plan', async () => {
  const context = { tenantId: '665a00000000000000000001', plan: 'starter', environment: 'staging' }
  const { status, body } = await post(context)
  assert.equal(status, 200)
  assert.deepEqual(body, flags.evaluateAll(context))
  assert.equal(body.partner_portal, false)
  assert.equal(body.jmap_native_v2, false)
})

test('an invalid context is a 400 with the stable error code', async () => {
  const { status, body } = await post({ tenantId: 42 })
  assert.equal(status, 400)
  assert.equal(body.data.code, 'DEZKY_INVALID_CONTEXT')
  assert.equal(body.data.field, 'tenantId')
  const unknown = await post({ partnerslug: 'typo' })
  assert.equal(unknown.status, 400)
  assert.equal(unknown.body.data.field, 'partnerslug')
})

test('with DEZKY_FLAGS_URL the server evaluates the flags of GET /flags', async () => {
  const token = 'dzk_example_token'
  const served = [
    { key: 'from_control_plane', state: 'on' },
    { key: 'gdpr_export_v2', state: 'off' },
  ]
  const requests = []
  const controlPlane = createHttpServer((req, res) => {
    requests.push(req.headers.authorization)
    if (req.headers.authorization !== `Bearer ${token}`) return res.writeHead(401).end()
    if (req.headers['if-none-match'] === '"cp1"') return res.writeHead(304).end()
    res.writeHead(200, { 'content-type': 'application/json', etag: '"cp1"' }).end(JSON.stringify(served))
  })
  await new Promise((resolve) => controlPlane.listen(0, '127.0.0.1', resolve))
  const flagsUrl = `http://127.0.0.1:${controlPlane.address().port}/flags`
  const instance = await startServer({ DEZKY_FLAGS_URL: flagsUrl, DEZKY_FLAGS_TOKEN: token })
  try {
    const { status, body } = await post({ tenantId: '6650f1c2a9b4e3d2c1b0a998' }, instance.url)
    assert.equal(status, 200, `${JSON.stringify(body)}\n${instance.log()}`)
    assert.deepEqual(body, { from_control_plane: true, gdpr_export_v2: false })
    assert.ok(requests.length >= 1 && requests.every((a) => a === `Bearer ${token}`))
  } finally {
    instance.child.kill()
    controlPlane.closeAllConnections()
    controlPlane.close()
  }
})
