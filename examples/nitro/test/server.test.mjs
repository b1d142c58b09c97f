// Builds the Nitro app, starts it on 127.0.0.1 on a free port, calls
// POST /api/flags/evaluate over HTTP, checks the answers, then stops it.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'

import { FlagSet } from '@dezky/sdk'

const root = fileURLToPath(new URL('..', import.meta.url))
const flags = FlagSet.fromJson(readFileSync(new URL('../flags/flags.json', import.meta.url), 'utf8'))
let server
let base
let output = ''

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

async function post(body) {
  const response = await fetch(`${base}/api/flags/evaluate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: response.status, body: await response.json() }
}

before(async () => {
  if (process.env.SKIP_NITRO_BUILD !== '1') {
    const build = spawnSync('npx', ['nitro', 'build'], { cwd: root, encoding: 'utf8' })
    assert.equal(build.status, 0, `nitro build failed:\n${build.stdout}\n${build.stderr}`)
  }
  const port = await freePort()
  base = `http://127.0.0.1:${port}`
  server = spawn(process.execPath, ['.output/server/index.mjs'], {
    cwd: root,
    env: { ...process.env, NITRO_HOST: '127.0.0.1', NITRO_PORT: String(port), DEZKY_FLAGS_FILE: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  server.stdout.on('data', (d) => (output += d))
  server.stderr.on('data', (d) => (output += d))
  const deadline = Date.now() + 15000
  for (;;) {
    try {
      await fetch(base)
      return
    } catch {
      if (Date.now() > deadline || server.exitCode !== null) throw new Error(`server did not start:\n${output}`)
      await sleep(100)
    }
  }
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
