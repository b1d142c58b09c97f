// AuthentikClient against a local Authentik stand-in (node:http on 127.0.0.1):
// requests sent, records returned, error codes and details, the session
// safety rule, empty filters refused without a request, and the rollback of
// createSsoApp. The fixtures are the ones the Rust tests check against the
// Authentik 2025.10.4 OpenAPI document.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, beforeEach, test } from 'node:test'

import { AuthentikClient, assertCode } from '../__test__/helpers.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const fixtures = join(here, '..', '..', '..', 'dezky-clients', 'tests', 'fixtures', 'authentik')
const fixture = (name) => JSON.parse(readFileSync(join(fixtures, `${name}.json`), 'utf8'))

const GROUP = '6a3c2e1f-0c4b-4a5e-9d62-1f0e2a3b4c5d'
const APP = '0b7e4c2a-5f61-4d8e-a1b2-c3d4e5f60718'
const TOKEN = 'ak-node-test-token'

const page = (results, current = 1, total = 1) => ({
  pagination: {
    next: current < total ? current + 1 : 0, previous: current - 1, count: results.length * total,
    current, total_pages: total, start_index: 1, end_index: results.length,
  },
  results,
  autocomplete: {},
})

/** A scripted server: each route answers from a queue (the last answer repeats). */
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

  /** Answers `method path` (path under /api/v3, without query). */
  on(method, path, ...answers) {
    this.routes.set(`${method} /api/v3${path}`, answers)
  }

  sent(method) {
    return this.requests.filter((r) => r.method === method)
  }

  handle(req, res) {
    let body = ''
    req.on('data', (chunk) => (body += chunk))
    req.on('end', () => {
      const url = new URL(req.url, this.url)
      const request = { method: req.method, path: url.pathname, query: url.searchParams, headers: req.headers, body }
      this.requests.push(request)
      const answers = this.routes.get(`${req.method} ${url.pathname}`)
      if (!answers) {
        res.writeHead(599)
        return res.end()
      }
      const answer = answers.length > 1 ? answers.shift() : answers[0]
      const { status = 200, json } = typeof answer === 'function' ? answer(request) : answer
      const text = json === undefined ? '' : JSON.stringify(json)
      res.writeHead(status, text ? { 'content-type': 'application/json' } : {})
      res.end(text)
    })
  }
}

let upstream
let client
before(async () => {
  upstream = await new Upstream().listen()
  client = new AuthentikClient({ baseUrl: upstream.url, token: TOKEN, timeoutMs: 2000, maxRetries: 1 })
})
after(() => upstream.server.close())
beforeEach(() => upstream.reset())

test('options are checked', async () => {
  await assertCode(() => new AuthentikClient({ token: 't' }), 'DEZKY_INVALID_ARGUMENT', { field: 'options.baseUrl' })
  await assertCode(() => new AuthentikClient({ baseUrl: upstream.url }), 'DEZKY_INVALID_ARGUMENT', { field: 'options.token' })
  await assertCode(() => new AuthentikClient({ baseUrl: upstream.url, token: 't', maxRetries: 11 }), 'DEZKY_INVALID_ARGUMENT')
  await assertCode(() => new AuthentikClient({ baseUrl: 'ftp://x', token: 't' }), 'DEZKY_CONFIG')
  const withSuffix = new AuthentikClient({ baseUrl: 'https://sso.example/api/v3/', token: 't' })
  assert.equal(withSuffix.issuerFor('acme-wiki'), 'https://sso.example/application/o/acme-wiki/')
})

test('findGroupByName sends the exact name without members and the bearer token', async () => {
  upstream.on('GET', '/core/groups/', { json: page([fixture('group')]) })
  const group = await client.findGroupByName('tenant-acme')
  assert.equal(group.pk, GROUP)
  assert.equal(group.numPk, 17)
  assert.equal(group.attributes.tenant_slug, 'acme')
  const [request] = upstream.requests
  assert.equal(request.headers.authorization, `Bearer ${TOKEN}`)
  assert.equal(request.query.get('name'), 'tenant-acme')
  assert.equal(request.query.get('include_users'), 'false')
  assert.equal(request.query.get('page'), '1')
  assert.equal(request.query.get('page_size'), '100')

  upstream.on('GET', '/core/groups/', { json: page([]) })
  assert.equal(await client.findGroupByName('tenant-none'), null)
})

test('ensureGroup creates with tenant attributes, and reads the winner after a lost race', async () => {
  upstream.on('GET', '/core/groups/', { json: page([]) })
  upstream.on('POST', '/core/groups/', { status: 201, json: fixture('group') })
  const created = await client.ensureGroup('tenant-acme', 'acme', 't-1')
  assert.equal(created.pk, GROUP)
  assert.deepEqual(JSON.parse(upstream.sent('POST')[0].body), {
    name: 'tenant-acme', attributes: { tenant_slug: 'acme', tenant_id: 't-1' },
  })

  upstream.reset()
  upstream.on('GET', '/core/groups/', { json: page([]) }, { json: page([fixture('group')]) })
  upstream.on('POST', '/core/groups/', { status: 400, json: fixture('error_unique_name') })
  const winner = await client.ensureGroup('tenant-acme', 'acme', 't-1')
  assert.equal(winner.pk, GROUP)
  assert.equal(upstream.sent('GET').length, 2)
})

test('listGroups reads every page', async () => {
  let n = 0
  upstream.on('GET', '/core/groups/', (request) => {
    n += 1
    assert.equal(request.query.get('page'), String(n))
    return { json: page([{ ...fixture('group'), name: `tenant-${n}` }], n, 3) }
  })
  const groups = await client.listGroups()
  assert.deepEqual(groups.map((g) => g.name), ['tenant-1', 'tenant-2', 'tenant-3'])
})

test('group members and deletion', async () => {
  upstream.on('POST', `/core/groups/${GROUP}/add_user/`, { status: 204 })
  upstream.on('POST', `/core/groups/${GROUP}/remove_user/`, { status: 404 })
  upstream.on('DELETE', `/core/groups/${GROUP}/`, { status: 204 })
  await client.addUserToGroup(GROUP, 42)
  assert.deepEqual(JSON.parse(upstream.requests[0].body), { pk: 42 })
  await assertCode(() => client.removeUserFromGroup(GROUP, 42), 'DEZKY_NOT_FOUND', { status: 404 })
  await client.deleteGroup(GROUP)
  await assertCode(() => client.addUserToGroup(GROUP, 1.5), 'DEZKY_INVALID_ARGUMENT', { field: 'userPk' })
})

test('createUser uses the email as username; a taken one is DEZKY_ALREADY_EXISTS with fields', async () => {
  upstream.on('POST', '/core/users/', { status: 201, json: fixture('user') })
  const user = await client.createUser({ email: 'ada@acme.example', name: 'Ada Lovelace', groups: [GROUP], type: 'internal' })
  assert.equal(user.pk, 42)
  assert.equal(user.type, 'internal')
  assert.deepEqual(user.groups, [GROUP])
  assert.deepEqual(JSON.parse(upstream.requests[0].body), {
    username: 'ada@acme.example', email: 'ada@acme.example', name: 'Ada Lovelace', is_active: true, groups: [GROUP], type: 'internal',
  })

  upstream.on('POST', '/core/users/', { status: 400, json: fixture('error_unique_username') })
  const taken = await assertCode(() => client.createUser({ email: 'ada@acme.example', name: 'Ada' }), 'DEZKY_ALREADY_EXISTS', {
    status: 400,
  })
  assert.deepEqual({ ...taken.fields }, { username: ['This field must be unique.'] })
  await assertCode(() => client.createUser({ email: 'no-at-sign', name: 'Ada' }), 'DEZKY_INVALID_ARGUMENT', { field: 'email' })
  await assertCode(() => client.createUser({ name: 'Ada' }), 'DEZKY_INVALID_ARGUMENT', { field: 'user.email' })
})

test('users: get, find, suspend, resume, delete, recovery link, errors', async () => {
  upstream.on('GET', '/core/users/42/', { json: fixture('user') })
  upstream.on('GET', '/core/users/7/', { status: 404, json: fixture('error_not_found') })
  upstream.on('GET', '/core/users/8/', { status: 403, json: fixture('error_token_invalid') })
  upstream.on('GET', '/core/users/', { json: page([fixture('user')]) })
  upstream.on('PATCH', '/core/users/42/', (request) => ({ json: { ...fixture('user'), ...JSON.parse(request.body) } }))
  upstream.on('DELETE', '/core/users/42/', { status: 204 })
  upstream.on('POST', '/core/users/42/recovery/', { json: fixture('link') })

  assert.equal((await client.getUser(42)).username, 'ada@acme.example')
  await assertCode(() => client.getUser(7), 'DEZKY_NOT_FOUND', { status: 404, upstreamMessage: 'No User matches the given query.' })
  await assertCode(() => client.getUser(8), 'DEZKY_UPSTREAM_UNAUTHORIZED', { status: 403 })
  assert.equal((await client.findUserByUsername('ada@acme.example')).pk, 42)
  assert.equal((await client.findUsersByEmail('ada@acme.example')).length, 1)
  assert.equal((await client.listUsers({ username: 'ada@acme.example' })).length, 1)
  assert.equal((await client.suspendUser(42)).isActive, false)
  assert.equal((await client.resumeUser(42)).isActive, true)
  assert.deepEqual(upstream.sent('PATCH').map((r) => JSON.parse(r.body)), [{ is_active: false }, { is_active: true }])
  await client.deleteUser(42)
  assert.match(await client.recoveryLink(42), /\/recovery\/use-token\//)
})

test('setPassword: sent once, an empty-body 400 is DEZKY_UPSTREAM_REJECTED', async () => {
  upstream.on('POST', '/core/users/42/set_password/', { status: 204 })
  upstream.on('POST', '/core/users/43/set_password/', { status: 400 })
  await client.setPassword(42, 'correct horse battery staple')
  assert.deepEqual(JSON.parse(upstream.requests[0].body), { password: 'correct horse battery staple' })
  const error = await assertCode(() => client.setPassword(43, 'short'), 'DEZKY_UPSTREAM_REJECTED', { status: 400 })
  assert.ok(!error.message.includes('short'))
  assert.equal(upstream.sent('POST').length, 2)
})

test('empty filters are refused before any request', async () => {
  await assertCode(() => client.findGroupByName(''), 'DEZKY_INVALID_ARGUMENT', { field: 'name' })
  await assertCode(() => client.findUserByUsername(' '), 'DEZKY_INVALID_ARGUMENT', { field: 'username' })
  await assertCode(() => client.findUsersByEmail(''), 'DEZKY_INVALID_ARGUMENT', { field: 'email' })
  await assertCode(() => client.listUsers({ email: '' }), 'DEZKY_INVALID_ARGUMENT', { field: 'email' })
  await assertCode(() => client.listUserSessions(''), 'DEZKY_INVALID_ARGUMENT', { field: 'username' })
  await assertCode(() => client.terminateUserSessions('', 42), 'DEZKY_INVALID_ARGUMENT', { field: 'username' })
  await assertCode(() => client.listBindings(''), 'DEZKY_INVALID_ARGUMENT', { field: 'target' })
  assert.equal(upstream.requests.length, 0)
})

test("terminateUserSessions never deletes another user's session", async () => {
  upstream.on('GET', '/core/authenticated_sessions/', (request) => {
    assert.equal(request.query.get('user__username'), 'ada@acme.example')
    return { json: page([fixture('session_own_1'), fixture('session_foreign'), fixture('session_own_2')]) }
  })
  upstream.on('DELETE', '/core/authenticated_sessions/11111111-1111-4111-8111-111111111111/', { status: 204 })
  upstream.on('DELETE', '/core/authenticated_sessions/22222222-2222-4222-8222-222222222222/', { status: 204 })
  const outcome = await client.terminateUserSessions('ada@acme.example', 42)
  assert.deepEqual(outcome, {
    terminated: ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222'],
    skippedForeign: 1,
    alreadyGone: 0,
  })
  assert.ok(upstream.sent('DELETE').every((r) => !r.path.includes('33333333')))
  const sessions = await client.listUserSessions('ada@acme.example')
  assert.equal(sessions.length, 3)
  assert.equal(sessions[1].user, 7)
})

test('countAuthenticators: confirmed factors, recovery codes apart, endpoint devices excluded', async () => {
  upstream.on('GET', '/authenticators/admin/all/', (request) => {
    assert.equal(request.query.get('user'), '42')
    return { json: fixture('devices') }
  })
  const summary = await client.countAuthenticators(42)
  assert.deepEqual(summary, {
    count: 3,
    byType: {
      'authentik_stages_authenticator_totp.TOTPDevice': 1,
      'authentik_stages_authenticator_webauthn.WebAuthnDevice': 2,
    },
    recoveryCodeDevices: 1,
    unconfirmed: 1,
    endpointDevices: 1,
    hasMfa: true,
  })
  assert.equal((await client.listAuthenticators(42)).length, 6)
})

function mountDiscovery(keys) {
  upstream.on('GET', '/flows/instances/', (request) => ({
    json: page([fixture(request.query.get('designation') === 'authorization' ? 'flow_authorization' : 'flow_invalidation')]),
  }))
  upstream.on('GET', '/crypto/certificatekeypairs/', { json: page(keys) })
  upstream.on('GET', '/propertymappings/provider/scope/', { json: page(fixture('scope_mappings')) })
}

test('createSsoApp: discovery, provider with a signing key, application, group binding', async () => {
  mountDiscovery([fixture('keypair_self_signed'), fixture('keypair_jwt')])
  upstream.on('POST', '/providers/oauth2/', { status: 201, json: fixture('oauth2_provider') })
  upstream.on('POST', '/core/applications/', { status: 201, json: fixture('application') })
  upstream.on('GET', '/policies/bindings/', { json: page([fixture('binding_other')]) })
  upstream.on('POST', '/policies/bindings/', { status: 201, json: fixture('binding_group') })
  const app = await client.createSsoApp({
    name: 'acme-wiki', slug: 'acme-wiki', redirectUris: ['https://wiki.acme.example/oidc/callback'], groupPk: GROUP,
  })
  assert.equal(app.clientId, 'Xq3LrT9kP0aZ')
  assert.equal(app.clientSecret, 'CLIENT-SECRET-7d1f9a2b4c6e8f0a1b3c5d7e9f')
  assert.equal(app.providerPk, 12)
  assert.equal(app.application.pk, APP)
  assert.equal(app.binding.group, GROUP)
  assert.ok(app.issuer.endsWith('/application/o/acme-wiki/'))
  const [provider, application, binding] = upstream.sent('POST').map((r) => JSON.parse(r.body))
  assert.equal(provider.signing_key, 'c0c0c0c0-0000-4000-8000-000000000002')
  assert.equal(provider.encryption_key, null)
  assert.deepEqual(provider.redirect_uris, [{ matching_mode: 'strict', url: 'https://wiki.acme.example/oidc/callback' }])
  assert.equal(provider.property_mappings.length, 3)
  assert.equal(application.provider, 12)
  assert.deepEqual(binding, { target: APP, group: GROUP, order: 4, enabled: true })
})

test('createSsoApp deletes what it created when a later step fails', async () => {
  mountDiscovery([fixture('keypair_jwt')])
  upstream.on('POST', '/providers/oauth2/', { status: 201, json: fixture('oauth2_provider') })
  upstream.on('POST', '/core/applications/', { status: 201, json: fixture('application') })
  upstream.on('GET', '/policies/bindings/', { json: page([]) })
  upstream.on('POST', '/policies/bindings/', { status: 403, json: { detail: 'You do not have permission to perform this action.' } })
  upstream.on('DELETE', '/core/applications/acme-wiki/', { status: 204 })
  upstream.on('DELETE', '/providers/oauth2/12/', { status: 204 })
  await assertCode(
    () => client.createSsoApp({ name: 'acme-wiki', slug: 'acme-wiki', redirectUris: ['https://wiki.acme.example/cb'], groupPk: GROUP }),
    'DEZKY_UPSTREAM_FORBIDDEN',
  )
  assert.deepEqual(upstream.sent('DELETE').map((r) => r.path), ['/api/v3/core/applications/acme-wiki/', '/api/v3/providers/oauth2/12/'])
})

test('createSsoApp without a signing key writes nothing', async () => {
  mountDiscovery([])
  await assertCode(
    () => client.createSsoApp({ name: 'acme-wiki', slug: 'acme-wiki', redirectUris: ['https://wiki.acme.example/cb'] }),
    'DEZKY_CONFIG',
    { field: 'signing_key' },
  )
  assert.equal(upstream.sent('POST').length, 0)
})

test('providers, applications and bindings one by one', async () => {
  upstream.on('POST', '/providers/oauth2/', { status: 201, json: fixture('oauth2_provider') })
  upstream.on('GET', '/providers/oauth2/12/', { json: fixture('oauth2_provider') })
  upstream.on('GET', '/providers/oauth2/', { json: page([fixture('oauth2_provider')]) })
  upstream.on('DELETE', '/providers/oauth2/12/', { status: 204 })
  upstream.on('POST', '/core/applications/', { status: 201, json: fixture('application') })
  upstream.on('GET', '/core/applications/acme-wiki/', { json: fixture('application') })
  upstream.on('GET', '/core/applications/', { json: page([fixture('application')]) })
  upstream.on('GET', '/policies/bindings/', { json: page([fixture('binding_group')]) })
  const provider = await client.createOauth2Provider({
    name: 'acme-wiki', authorizationFlow: 'f1', invalidationFlow: 'f2', redirectUris: ['https://x.example/cb'], signingKey: 'k1',
  })
  assert.equal(provider.pk, 12)
  assert.equal(provider.clientSecret, undefined)
  // The provider's client secret (in the fixture) never reaches JavaScript.
  assert.ok(!JSON.stringify(Object.entries(provider)).includes('CLIENT-SECRET'))
  assert.equal(provider.redirectUris[0].matchingMode, 'strict')
  await assertCode(
    () => client.createOauth2Provider({ name: 'x', authorizationFlow: 'f1', invalidationFlow: 'f2', redirectUris: ['https://x.example/cb'] }),
    'DEZKY_INVALID_ARGUMENT',
    { field: 'provider.signingKey' },
  )
  assert.equal((await client.getOauth2Provider(12)).name, 'acme-wiki')
  assert.equal((await client.listOauth2Providers()).length, 1)
  await client.deleteOauth2Provider(12)
  assert.equal((await client.createApplication({ name: 'acme-wiki', slug: 'acme-wiki', provider: 12 })).slug, 'acme-wiki')
  assert.equal((await client.getApplication('acme-wiki')).provider, 12)
  assert.equal((await client.listApplications()).length, 1)
  assert.equal(upstream.requests.find((r) => r.path === '/api/v3/core/applications/' && r.method === 'GET').query.get('superuser_full_list'), 'true')
  const existing = await client.bindGroupToApplication(APP, GROUP)
  assert.equal(existing.pk, 'e0e0e0e0-0000-4000-8000-000000000002')
  assert.equal(upstream.sent('POST').filter((r) => r.path.includes('bindings')).length, 0)
})

test('API tokens: intent api, identifier checked, key returned', async () => {
  upstream.on('POST', '/core/tokens/', { status: 201, json: fixture('token') })
  upstream.on('GET', '/core/tokens/dezky-platform-api/view_key/', { json: fixture('token_view') })
  const token = await client.createApiToken('dezky-platform-api', 42, { description: 'control plane' })
  assert.equal(token.intent, 'api')
  assert.deepEqual(JSON.parse(upstream.requests[0].body), {
    identifier: 'dezky-platform-api', intent: 'api', user: 42, expiring: false, description: 'control plane',
  })
  assert.equal(await client.viewTokenKey('dezky-platform-api'), 'TOKEN-KEY-9b8a7c6d5e4f3a2b1c0d')
  await assertCode(() => client.createApiToken('has space', 42), 'DEZKY_INVALID_ARGUMENT', { field: 'identifier' })
})

test('a GET is retried after 503, a POST is not', async () => {
  upstream.on('GET', '/core/users/42/', { status: 503 }, { json: fixture('user') })
  assert.equal((await client.getUser(42)).pk, 42)
  assert.equal(upstream.requests.length, 2)
  upstream.reset()
  upstream.on('POST', '/core/users/', { status: 503 })
  await assertCode(() => client.createUser({ email: 'ada@acme.example', name: 'Ada' }), 'DEZKY_UPSTREAM_UNAVAILABLE', { status: 503 })
  assert.equal(upstream.requests.length, 1)
})
