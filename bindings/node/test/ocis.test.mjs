// OcisClient against a local OCIS stand-in (node:http on 127.0.0.1) that also
// plays Authentik's token endpoint: requests, records, error details, the
// two-step removal and the refresh-token service login with a credential file.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, beforeEach, test } from 'node:test'

import { OcisClient, validateSpaceName, assertCode } from '../__test__/helpers.mjs'

const ID = 'a0ca6a90-a365-4782-871e-d44447bbc668$5b0d8c3a-7e1f-4a40-9f6b-2c0b9a1d4e55'
const DRIVE_PATH = `/graph/v1.0/drives/${ID}`

const drive = (extra = {}) => ({
  id: ID,
  driveType: 'project',
  name: 'acme',
  description: 'Acme Co',
  driveAlias: 'project/acme',
  lastModifiedDateTime: '2026-06-01T10:00:00Z',
  owner: { user: { id: 'owner-1', displayName: 'Platform Service' } },
  quota: { total: 10737418240, used: 52428800, remaining: 10684989440, state: 'normal', deleted: 0 },
  root: { id: ID, webDavUrl: `https://cloud.example/dav/spaces/${ID}` },
  webUrl: `https://cloud.example/f/${ID}`,
  ...extra,
})
const trashed = () => {
  const d = drive({ root: { id: ID, deleted: { state: 'trashed' } } })
  delete d.quota
  return d
}
const odataError = (code, message, requestId) => ({
  error: { code, message, innererror: { date: '2026-06-01T10:00:00Z', 'request-id': requestId } },
})

/** A scripted server: each route answers from a queue, or from a default. */
class Upstream {
  constructor() {
    this.requests = []
    this.routes = new Map()
    this.server = createServer((req, res) => this.handle(req, res))
  }

  async listen() {
    this.server.listen(0, '127.0.0.1')
    await once(this.server, 'listening')
    this.url = `http://127.0.0.1:${this.server.address().port}`
    return this
  }

  reset() {
    this.requests = []
    this.routes = new Map()
  }

  /** Answers `method path` (path without query) with `answers` in turn; the last one repeats. */
  on(method, path, ...answers) {
    this.routes.set(`${method} ${path}`, answers)
  }

  handle(req, res) {
    let body = ''
    req.on('data', (chunk) => (body += chunk))
    req.on('end', () => {
      const url = new URL(req.url, this.url)
      const request = { method: req.method, path: url.pathname, query: url.searchParams, headers: req.headers, body }
      this.requests.push(request)
      const answers = this.routes.get(`${req.method} ${decodeURIComponent(url.pathname)}`)
      if (!answers) {
        res.writeHead(599)
        return res.end()
      }
      const answer = answers.length > 1 ? answers.shift() : answers[0]
      const { status = 200, json, raw, headers = {} } = typeof answer === 'function' ? answer(request) : answer
      const text = raw ?? (json === undefined ? '' : JSON.stringify(json))
      res.writeHead(status, text && raw === undefined ? { 'content-type': 'application/json', ...headers } : headers)
      res.end(text)
    })
  }
}

let upstream
let client
before(async () => {
  upstream = await new Upstream().listen()
  client = new OcisClient({ baseUrl: upstream.url, accessToken: 'tok-ocis-1', timeoutMs: 2000, maxRetries: 0 })
})
after(() => upstream.server.close())
beforeEach(() => upstream.reset())

test('validateSpaceName trims and refuses what OCIS refuses', async () => {
  assert.equal(validateSpaceName('  acme '), 'acme')
  for (const bad of ['', ' ', 'acme.io', 'a/b', 'a|b', 'x'.repeat(256)]) {
    await assertCode(() => validateSpaceName(bad), 'DEZKY_INVALID_ARGUMENT', { field: 'name' })
  }
  await assertCode(() => validateSpaceName(42), 'DEZKY_INVALID_ARGUMENT')
})

test('createProjectSpace sends the schema fields and returns the drive', async () => {
  upstream.on('POST', '/graph/v1.0/drives', { status: 201, json: drive() })
  const created = await client.createProjectSpace(' acme ', { description: 'Acme Co', quotaBytes: 10737418240 })
  assert.equal(upstream.requests.length, 1)
  const [request] = upstream.requests
  assert.equal(request.headers.authorization, 'Bearer tok-ocis-1')
  assert.deepEqual(JSON.parse(request.body), {
    name: 'acme', driveType: 'project', description: 'Acme Co', quota: { total: 10737418240 },
  })
  assert.equal(created.id, ID)
  assert.equal(created.driveType, 'project')
  assert.equal(created.ownerId, 'owner-1')
  assert.equal(created.webDavUrl, `https://cloud.example/dav/spaces/${ID}`)
  assert.equal(created.trashed, false)
  assert.deepEqual(created.quota, { total: 10737418240, used: 52428800, remaining: 10684989440, deleted: 0, state: 'normal' })
})

test('invalid names and quotas are refused without a request', async () => {
  await assertCode(() => client.createProjectSpace('acme.io'), 'DEZKY_INVALID_ARGUMENT', { field: 'name' })
  await assertCode(() => client.ensureProjectSpace('a:b'), 'DEZKY_INVALID_ARGUMENT')
  await assertCode(() => client.createProjectSpace('acme', { quotaBytes: -1 }), 'DEZKY_INVALID_ARGUMENT')
  await assertCode(() => client.createProjectSpace('acme', { quotaBytes: 1.5 }), 'DEZKY_INVALID_ARGUMENT')
  await assertCode(() => client.setSpaceQuota(ID, 'lots'), 'DEZKY_INVALID_ARGUMENT')
  assert.equal(upstream.requests.length, 0)
})

test('listings: the project filter, a null body, and a trashed space without quota', async () => {
  upstream.on('GET', '/graph/v1.0/drives', { raw: 'null' }, { json: { value: [drive(), trashed()] } })
  assert.deepEqual(await client.listProjectSpaces(), [])
  assert.equal(upstream.requests[0].query.get('$filter'), "driveType eq 'project'")
  const spaces = await client.listProjectSpaces()
  assert.equal(spaces.length, 2)
  assert.equal(spaces[1].trashed, true)
  assert.equal(spaces[1].quota, undefined)

  upstream.on('GET', '/graph/v1.0/drives', { status: 501, json: odataError('notSupported', 'unsupported filter operand: and', 'req-501') })
  const error = await assertCode(() => client.listDrives("driveType eq 'project' and name eq 'x'"), 'DEZKY_UPSTREAM_UNAVAILABLE', {
    status: 501, upstreamCode: 'notSupported', requestId: 'req-501',
  })
  assert.match(error.upstreamMessage, /unsupported filter/)

  upstream.on('GET', DRIVE_PATH, { json: trashed() })
  assert.equal(await client.spaceQuota(ID), null)
})

test('errors keep the status first and the OData code as detail', async () => {
  upstream.on('GET', DRIVE_PATH, { status: 404, json: odataError('itemNotFound', 'drive not found', 'req-404') })
  await assertCode(() => client.getDrive(ID), 'DEZKY_NOT_FOUND', { status: 404, upstreamCode: 'itemNotFound', requestId: 'req-404', service: 'ocis' })
  upstream.on('GET', DRIVE_PATH, { status: 401, json: odataError('notAllowed', 'unauthenticated', 'req-401') })
  await assertCode(() => client.getDrive(ID), 'DEZKY_UPSTREAM_UNAUTHORIZED', { upstreamCode: 'notAllowed' })
  upstream.on('GET', DRIVE_PATH, { status: 401 })
  const plain = await assertCode(() => client.getDrive(ID), 'DEZKY_UPSTREAM_UNAUTHORIZED', { status: 401 })
  assert.equal(plain.upstreamCode, undefined)
  assert.ok(!JSON.stringify({ ...plain, message: plain.message }).includes('tok-ocis-1'))
})

test('quota, disable, restore and a refused purge of an enabled space', async () => {
  upstream.on('PATCH', DRIVE_PATH, { json: drive() })
  upstream.on('DELETE', DRIVE_PATH, { status: 204 })
  upstream.on('GET', DRIVE_PATH, { json: drive() })
  await client.setSpaceQuota(ID, 2000000000)
  assert.deepEqual(JSON.parse(upstream.requests[0].body), { quota: { total: 2000000000 } })
  assert.equal(await client.disableSpace(ID), undefined)
  assert.equal(upstream.requests[1].headers.purge, undefined)
  await client.restoreSpace(ID)
  assert.equal(upstream.requests[2].headers.restore, 'T')
  assert.equal(upstream.requests[2].body, '{}')
  await assertCode(() => client.purgeSpace(ID), 'DEZKY_INVALID_ARGUMENT', { field: 'id' })
  assert.ok(!upstream.requests.slice(3).some((r) => r.method === 'DELETE'))
})

test('removeProjectSpace reports the failed step and resumes there', async () => {
  upstream.on('GET', DRIVE_PATH, { json: drive() }, { json: trashed() })
  upstream.on('DELETE', DRIVE_PATH, (r) =>
    r.headers.purge === 'T' ? { status: 500, json: odataError('generalException', 'grpc error', 'req-500') } : { status: 204 })
  const error = await assertCode(() => client.removeProjectSpace(ID), 'DEZKY_UPSTREAM_UNAVAILABLE', {
    step: 'purge', disabled: true, status: 500, upstreamCode: 'generalException',
  })
  assert.match(error.message, /step purge/)
  upstream.reset()
  upstream.on('GET', DRIVE_PATH, { json: trashed() })
  upstream.on('DELETE', DRIVE_PATH, { status: 204 })
  assert.deepEqual(await client.removeProjectSpace(ID), { alreadyGone: false, disabled: false, purged: true })
  assert.deepEqual(upstream.requests.map((r) => `${r.method}${r.headers.purge ? '+purge' : ''}`), ['GET', 'DELETE+purge'])
})

test('ensureProjectSpace reuses a space with the same name', async () => {
  upstream.on('GET', '/graph/v1.0/drives', { json: { value: [drive({ name: 'other' }), drive()] } })
  const ensured = await client.ensureProjectSpace('acme')
  assert.equal(ensured.created, false)
  assert.equal(ensured.restored, false)
  assert.equal(ensured.drive.id, ID)
  assert.ok(!upstream.requests.some((r) => r.method === 'POST'))
})

test('users: read, create with a password profile and no id, delete', async () => {
  const user = { id: 'u-1', displayName: 'Alice Martin', onPremisesSamAccountName: 'alice', mail: 'alice@acme.example', accountEnabled: true }
  upstream.on('GET', '/graph/v1.0/users/alice', { json: user })
  upstream.on('POST', '/graph/v1.0/users', { status: 201, json: user })
  upstream.on('DELETE', '/graph/v1.0/users/u-1', { status: 204 })
  assert.equal((await client.getUser('alice')).onPremisesSamAccountName, 'alice')
  const created = await client.createUser({ displayName: 'Alice Martin', onPremisesSamAccountName: 'alice', mail: 'alice@acme.example', password: 'pw-1' })
  assert.equal(created.id, 'u-1')
  assert.equal(created.accountEnabled, true)
  assert.deepEqual(JSON.parse(upstream.requests[1].body), {
    displayName: 'Alice Martin', onPremisesSamAccountName: 'alice', mail: 'alice@acme.example', passwordProfile: { password: 'pw-1' },
  })
  await client.deleteUser('u-1')
  assert.equal(upstream.requests[2].method, 'DELETE')
  await assertCode(() => client.createUser({ displayName: 'Bob' }), 'DEZKY_INVALID_ARGUMENT', { field: 'user.onPremisesSamAccountName' })
})

test('the service login mints tokens, stores the rotated refresh token, and fails on invalid_grant', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dezky-ocis-'))
  try {
    const file = join(dir, 'ocis.json')
    writeFileSync(file, JSON.stringify({ refresh_token: 'refresh-1', obtained_at: 0 }))
    upstream.on('POST', '/application/o/token/', (r) => {
      const form = new URLSearchParams(r.body)
      if (form.get('refresh_token') === 'refresh-1' && form.get('client_id') === 'ocis-web' && form.get('grant_type') === 'refresh_token') {
        return { json: { access_token: 'access-1', token_type: 'Bearer', expires_in: 3600, refresh_token: 'refresh-2' } }
      }
      return { status: 400, json: { error: 'invalid_grant', error_description: 'Token is not valid' } }
    })
    upstream.on('GET', '/graph/v1.0/users/alice', (r) =>
      r.headers.authorization === 'Bearer access-1' ? { json: { displayName: 'Alice', onPremisesSamAccountName: 'alice' } } : { status: 401 })
    const login = new OcisClient({
      baseUrl: `${upstream.url}/graph`,
      serviceLogin: { tokenUrl: `${upstream.url}/application/o/token/`, credentialsFile: file },
    })
    assert.equal((await login.getUser('alice')).displayName, 'Alice')
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).refresh_token, 'refresh-2')

    // A refresh token the provider no longer accepts: a new service login is needed.
    writeFileSync(file, JSON.stringify({ refresh_token: 'refresh-revoked', obtained_at: 0 }))
    const stale = new OcisClient({
      baseUrl: upstream.url,
      serviceLogin: { tokenUrl: `${upstream.url}/application/o/token/`, clientId: 'ocis-web', credentialsFile: file },
    })
    const error = await assertCode(() => stale.getUser('alice'), 'DEZKY_SERVICE_LOGIN_REQUIRED')
    assert.ok(!error.message.includes('refresh-revoked'))

    writeFileSync(file, '{not json')
    await assertCode(() => stale.getUser('alice'), 'DEZKY_CREDENTIAL_STORE')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('construction: options are checked, fromEnv reads the OCIS variables', async () => {
  await assertCode(() => new OcisClient({ accessToken: 't' }), 'DEZKY_INVALID_ARGUMENT', { field: 'options.baseUrl' })
  await assertCode(() => new OcisClient({ baseUrl: upstream.url }), 'DEZKY_INVALID_ARGUMENT', { field: 'options' })
  await assertCode(
    () => new OcisClient({ baseUrl: upstream.url, accessToken: 't', serviceLogin: { tokenUrl: 'https://x/', credentialsFile: '/x' } }),
    'DEZKY_INVALID_ARGUMENT',
  )
  await assertCode(() => new OcisClient({ baseUrl: 'ftp://x', accessToken: 't' }), 'DEZKY_CONFIG')
  await assertCode(() => new OcisClient({ baseUrl: upstream.url, accessToken: 't', maxRetries: 11 }), 'DEZKY_INVALID_ARGUMENT', { field: 'options.maxRetries' })
  const saved = { ...process.env }
  try {
    for (const name of Object.keys(process.env)) if (name.startsWith('OCIS_')) delete process.env[name]
    await assertCode(() => OcisClient.fromEnv(), 'DEZKY_CONFIG', { field: 'OCIS_API_URL' })
    process.env.OCIS_API_URL = upstream.url
    await assertCode(() => OcisClient.fromEnv(), 'DEZKY_CONFIG', { field: 'OCIS_TOKEN_URL' })
    process.env.OCIS_ACCESS_TOKEN = 'tok-env'
    upstream.on('GET', DRIVE_PATH, (r) => (r.headers.authorization === 'Bearer tok-env' ? { json: drive() } : { status: 401 }))
    assert.equal((await OcisClient.fromEnv().getDrive(ID)).name, 'acme')
  } finally {
    for (const name of Object.keys(process.env)) if (name.startsWith('OCIS_')) delete process.env[name]
    Object.assign(process.env, saved)
  }
})
