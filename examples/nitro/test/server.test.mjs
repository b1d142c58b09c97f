// Builds the Nitro app and runs it on 127.0.0.1 against a local OpenID
// provider (discovery and JWKS served here, tokens signed with a key made by
// node:crypto), then calls the portal's routes over HTTP: allowed and refused
// actors per route, bad bodies, and upstream failures mapped to statuses.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import crypto from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer as createHttpServer } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'

import { FlagSet, flagContext } from '@dezky/sdk'

import { publish, startDns } from './dns.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const flags = FlagSet.fromJson(readFileSync(new URL('../flags/flags.json', import.meta.url), 'utf8'))

const ACME = '6650f1c2a9b4e3d2c1b0a998'
const PARTNER = '6650f1c2a9b4e3d2c1b0a777'
const GROUP = '6a3c2e1f-0c4b-4a5e-9d62-000000000001'
const user = (id, subject, extra = {}) => ({ _id: id, authentikSubjectId: subject, email: `${subject}@acme.test`, __v: 0, ...extra })
const SEED = {
  tenants: [
    {
      _id: ACME, slug: 'acme', name: 'Acme Co', status: 'active', plan: 'business', partnerId: PARTNER,
      domains: ['acme.test'], authentikGroupId: GROUP, stalwartDomain: 'acme.test', __v: 3,
    },
  ],
  partners: [{ _id: PARTNER, slug: 'nordic-it', status: 'active' }],
  users: [
    user('6650f1c2a9b4e3d2c1b0a001', 'root', { platformAdmin: true }),
    user('6650f1c2a9b4e3d2c1b0a002', 'ada', { tenantIds: [ACME], tenantRoles: { [ACME]: 'admin' } }),
    user('6650f1c2a9b4e3d2c1b0a003', 'bob', { tenantIds: [ACME], tenantRoles: { [ACME]: 'member' } }),
    user('6650f1c2a9b4e3d2c1b0a004', 'eve'),
    user('6650f1c2a9b4e3d2c1b0a005', 'ina', { tenantIds: [ACME], active: false }),
    user('6650f1c2a9b4e3d2c1b0a006', 'pia', { partnerId: PARTNER }),
  ],
  // The primary domain's document (provisioning made the domain).
  domains: [
    {
      _id: '6650f1c2a9b4e3d2c1b0d001', tenantId: ACME, name: 'acme.test', stalwartDomainId: 'd1',
      ownershipToken: 'seeded-token-of-the-primary-domain-000000000', status: 'verified', __v: 0,
    },
  ],
}
const ADA = '6650f1c2a9b4e3d2c1b0a002'

// The signing key and the local OpenID provider.
const KID = 'local-1'
const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
const jwk = { ...publicKey.export({ format: 'jwk' }), kid: KID, use: 'sig', alg: 'RS256' }
const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url')

let provider
let issuer
let dir
let server
let base
let dns

function startProvider() {
  const srv = createHttpServer((req, res) => {
    const at = `http://127.0.0.1:${srv.address().port}`
    const discovery = req.url.match(/^\/application\/o\/([a-z-]+)\/\.well-known\/openid-configuration$/)
    res.setHeader('content-type', 'application/json')
    if (discovery) {
      res.end(JSON.stringify({ issuer: `${at}/application/o/${discovery[1]}/`, jwks_uri: `${at}/application/o/${discovery[1]}/jwks/` }))
    } else if (/^\/application\/o\/[a-z-]+\/jwks\/$/.test(req.url)) {
      res.end(JSON.stringify({ keys: [jwk] }))
    } else {
      res.statusCode = 404
      res.end('{}')
    }
  })
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv)))
}

/** A token of `subject` for the portal (or `surface: 'operator'`), signed by the local key. */
function token(subject, { surface = 'portal', key = privateKey, exp } = {}) {
  const now = Math.floor(Date.now() / 1000)
  const claims = {
    iss: issuer(surface === 'portal' ? 'dezky-portal' : 'dezky-operator'),
    aud: surface === 'portal' ? 'dezky-portal' : 'dezky-operator',
    sub: subject,
    email: `${subject}@acme.test`,
    exp: exp ?? now + 300,
    iat: now - 5,
  }
  const input = `${b64({ alg: 'RS256', typ: 'JWT', kid: KID })}.${b64(claims)}`
  return `${input}.${crypto.sign('sha256', Buffer.from(input), key).toString('base64url')}`
}

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

/** Calls `path` as `subject` (no token for `null`; a raw `body` string is sent as it is). */
async function call(method, path, { as = 'ada', surface, body, raw, at = base, auth } = {}) {
  const headers = { 'content-type': 'application/json' }
  if (auth !== undefined) headers.authorization = auth
  else if (as !== null) headers.authorization = `Bearer ${token(as, { surface })}`
  const response = await fetch(`${at}${path}`, {
    method,
    headers,
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  })
  const text = await response.text()
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null }
}

/** Starts the built server on a free port with `env`; resolves with it and its base URL. */
async function startServer(env) {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  let log = ''
  const child = spawn(process.execPath, ['.output/server/index.mjs'], {
    cwd: root,
    env: {
      ...process.env,
      NITRO_HOST: '127.0.0.1',
      NITRO_PORT: String(port),
      DEZKY_FLAGS_FILE: '',
      DEZKY_FLAGS_URL: '',
      DEZKY_UPSTREAMS: '',
      AUTHENTIK_ISSUER: `${issuer('dezky-portal')},${issuer('dezky-operator')}`,
      AUTHENTIK_AUDIENCE: 'dezky-portal,dezky-operator',
      DEZKY_PORTAL_SEED: join(dir, 'seed.json'),
      DEZKY_PORTAL_TEST_FAULTS: '1',
      DEZKY_DNS_NAMESERVERS: '127.0.0.1',
      DEZKY_DNS_PORT: String(dns.port),
      DEZKY_DNS_TIMEOUT_MS: '500',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout.on('data', (d) => (log += d))
  child.stderr.on('data', (d) => (log += d))
  const deadline = Date.now() + 15000
  for (;;) {
    try {
      await fetch(`${url}/api/health`)
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

let instance

before(async () => {
  provider = await startProvider()
  dns = await startDns()
  issuer = (name) => `http://127.0.0.1:${provider.address().port}/application/o/${name}/`
  dir = mkdtempSync(join(tmpdir(), 'dezky-portal-'))
  writeFileSync(join(dir, 'seed.json'), JSON.stringify(SEED))
  if (process.env.SKIP_NITRO_BUILD !== '1') {
    const build = spawnSync('npx', ['nitro', 'build'], { cwd: root, encoding: 'utf8' })
    assert.equal(build.status, 0, `nitro build failed:\n${build.stdout}\n${build.stderr}`)
  }
  instance = await startServer({})
  server = instance.child
  base = instance.url
})

after(() => {
  server?.kill()
  dns?.close()
  provider?.closeAllConnections()
  provider?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** Asserts an SDK error answer. */
function refused(answer, status, code, details = {}) {
  assert.equal(answer.status, status, JSON.stringify(answer.body))
  assert.equal(answer.body.code, code, JSON.stringify(answer.body))
  assert.equal(typeof answer.body.message, 'string')
  for (const [k, v] of Object.entries(details)) assert.equal(answer.body.details[k], v, k)
}

describe('tokens', () => {
  test('GET /api/health needs no token', async () => {
    const { status, body } = await call('GET', '/api/health', { as: null })
    assert.equal(status, 200)
    assert.deepEqual(body, { status: 'ok', upstreams: 'memory' })
  })

  test('no token, a bad one, an expired one: 401 with the token code', async () => {
    refused(await call('GET', '/api/me', { as: null }), 401, 'DEZKY_TOKEN_MALFORMED')
    refused(await call('GET', '/api/me', { auth: 'Basic YWRhOnB3' }), 401, 'DEZKY_TOKEN_MALFORMED')
    refused(await call('GET', '/api/me', { auth: 'Bearer not.a.jwt' }), 401, 'DEZKY_TOKEN_MALFORMED')
    const forged = token('root', { key: other.privateKey })
    refused(await call('GET', '/api/me', { auth: `Bearer ${forged}` }), 401, 'DEZKY_TOKEN_BAD_SIGNATURE')
    const expired = token('ada', { exp: Math.floor(Date.now() / 1000) - 600 })
    const answer = await call('GET', '/api/me', { auth: `Bearer ${expired}` })
    refused(answer, 401, 'DEZKY_TOKEN_EXPIRED')
    assert.equal(typeof answer.body.details.expiredAt, 'number')
    // Refused before any route ran: even for a route that exists only with a token.
    refused(await call('POST', '/api/tenants', { as: null, body: { slug: 'x' } }), 401, 'DEZKY_TOKEN_MALFORMED')
  })

  test('a valid token without a user record, or with an inactive one, is 403', async () => {
    refused(await call('GET', '/api/me', { as: 'nobody' }), 403, 'DEZKY_FORBIDDEN')
    refused(await call('GET', '/api/me', { as: 'ina' }), 403, 'DEZKY_FORBIDDEN')
  })
})

describe('GET /api/me', () => {
  test('the profile comes from the token and the user record', async () => {
    const { status, body } = await call('GET', '/api/me')
    assert.equal(status, 200, JSON.stringify(body))
    assert.equal(body.id, ADA)
    assert.equal(body.subject, 'ada')
    assert.equal(body.surface, 'portal')
    assert.equal(body.platformAdmin, false)
    assert.deepEqual(body.tenants.map((t) => [t.slug, t.role, t.suspended]), [['acme', 'admin', false]])
    const root = await call('GET', '/api/me', { as: 'root', surface: 'operator' })
    assert.equal(root.body.surface, 'operator')
    assert.equal(root.body.platformAdmin, true)
  })
})

describe('POST /api/flags/evaluate', () => {
  const acme = SEED.tenants[0]
  const expected = (userId) =>
    flags.evaluateAll({ ...flagContext(acme, SEED.partners[0], 'prod'), userId })

  test('the context is the verified caller and the tenant record', async () => {
    const { status, body } = await call('POST', '/api/flags/evaluate', { body: {} })
    assert.equal(status, 200, JSON.stringify(body))
    assert.deepEqual(body, expected(ADA))
    assert.equal(body.jmap_native_v2, true) // business plan, from the record
    assert.equal(body.partner_portal, true) // nordic-it, from the partner record
    const named = await call('POST', '/api/flags/evaluate', { body: { tenant: 'acme' } })
    assert.deepEqual(named.body, expected(ADA))
  })

  test('the body cannot choose the plan, partner or tenant id', async () => {
    refused(await call('POST', '/api/flags/evaluate', { body: { plan: 'enterprise' } }), 400, 'DEZKY_INVALID_ARGUMENT', { field: 'plan' })
    refused(await call('POST', '/api/flags/evaluate', { body: { tenantId: ACME } }), 400, 'DEZKY_INVALID_ARGUMENT', { field: 'tenantId' })
    refused(await call('POST', '/api/flags/evaluate', { body: { tenant: 42 } }), 400, 'DEZKY_INVALID_ARGUMENT', { field: 'tenant' })
    refused(await call('POST', '/api/flags/evaluate', { raw: '{"tenant": ' }), 400, 'DEZKY_MALFORMED_JSON')
    refused(await call('POST', '/api/flags/evaluate', { raw: '[1]' }), 400, 'DEZKY_INVALID_ARGUMENT', { argument: 'body' })
  })

  test("another tenant's flags are refused; an unknown tenant is 404", async () => {
    refused(await call('POST', '/api/flags/evaluate', { as: 'eve', body: { tenant: 'acme' } }), 403, 'DEZKY_FORBIDDEN')
    refused(await call('POST', '/api/flags/evaluate', { as: 'eve', body: {} }), 400, 'DEZKY_INVALID_ARGUMENT', { field: 'tenant' })
    refused(await call('POST', '/api/flags/evaluate', { body: { tenant: 'nope' } }), 404, 'DEZKY_NOT_FOUND')
  })
})

describe('tenants', () => {
  test('POST /api/tenants: platform admins only; the tenant is provisioned', async () => {
    refused(await call('POST', '/api/tenants', { body: { slug: 'globex', name: 'Globex', plan: 'starter' } }), 403, 'DEZKY_FORBIDDEN')
    const { status, body } = await call('POST', '/api/tenants', {
      as: 'root',
      body: { slug: 'globex', name: 'Globex', plan: 'starter', domains: ['globex.test'] },
    })
    assert.equal(status, 201, JSON.stringify(body))
    assert.equal(body.tenant.slug, 'globex')
    assert.equal(body.tenant.status, 'active')
    assert.equal(typeof body.tenant.authentikGroupId, 'string')
    assert.equal(body.report.activated, true)
    refused(await call('POST', '/api/tenants', { as: 'root', body: { slug: 'globex', name: 'G', plan: 'starter' } }), 409, 'DEZKY_ALREADY_EXISTS')
  })

  test('POST /api/tenants: bad bodies are 400 naming the field', async () => {
    refused(await call('POST', '/api/tenants', { as: 'root', body: { slug: 'Not A Slug', name: 'X', plan: 'starter' } }), 400, 'DEZKY_INVALID_ARGUMENT')
    refused(await call('POST', '/api/tenants', { as: 'root', body: { slug: 'initech', name: 'X', plan: 'starter', status: 'active' } }), 400, 'DEZKY_INVALID_ARGUMENT', { field: 'status' })
    refused(await call('POST', '/api/tenants', { as: 'root', body: { slug: 7, name: 'X', plan: 'starter' } }), 400, 'DEZKY_INVALID_ARGUMENT')
    refused(await call('POST', '/api/tenants', { as: 'root', raw: 'slug=initech' }), 400, 'DEZKY_MALFORMED_JSON')
  })

  test('reconcile: tenant admins and platform admins; members refused', async () => {
    const { status, body } = await call('POST', '/api/tenants/acme/reconcile', { body: {} })
    assert.equal(status, 200, JSON.stringify(body))
    assert.equal(body.report.slug, 'acme')
    const dry = await call('POST', '/api/tenants/acme/reconcile', { as: 'root', body: { dryRun: true } })
    assert.equal(dry.status, 200)
    assert.equal(dry.body.report.dryRun, true)
    refused(await call('POST', '/api/tenants/acme/reconcile', { as: 'bob', body: {} }), 403, 'DEZKY_FORBIDDEN')
    refused(await call('POST', '/api/tenants/acme/reconcile', { body: { dryRun: 'yes' } }), 400, 'DEZKY_INVALID_ARGUMENT')
    refused(await call('POST', '/api/tenants/nope/reconcile', { body: {} }), 404, 'DEZKY_NOT_FOUND')
  })

  test('suspend and resume: the operator app only; the status machine answers 409', async () => {
    refused(await call('POST', '/api/tenants/globex/suspend', { as: 'root' }), 403, 'DEZKY_FORBIDDEN')
    refused(await call('POST', '/api/tenants/globex/suspend', { as: 'ada', surface: 'operator' }), 403, 'DEZKY_FORBIDDEN')
    const suspended = await call('POST', '/api/tenants/globex/suspend', { as: 'root', surface: 'operator' })
    assert.equal(suspended.status, 200, JSON.stringify(suspended.body))
    assert.equal(suspended.body.tenant.status, 'suspended')
    refused(await call('POST', '/api/tenants/globex/suspend', { as: 'root', surface: 'operator' }), 409, 'DEZKY_ILLEGAL_TRANSITION', { fromStatus: 'suspended' })
    const resumed = await call('POST', '/api/tenants/globex/resume', { as: 'root', surface: 'operator' })
    assert.equal(resumed.status, 200)
    assert.equal(resumed.body.tenant.status, 'active')
  })
})

describe('members', () => {
  let carol
  let password

  test('a tenant admin creates a member and gets the one-time password once', async () => {
    const { status, body } = await call('POST', '/api/tenants/acme/members', { body: { email: 'carol@acme.test', name: 'Carol' } })
    assert.equal(status, 201, JSON.stringify(body))
    assert.equal(body.member.email, 'carol@acme.test')
    assert.deepEqual(body.member.resources.map((r) => r.kind), ['identity', 'mailbox', 'files'])
    assert.equal(typeof body.password, 'string')
    assert.ok(body.password.length >= 20)
    carol = body.userId
    password = body.password
    refused(await call('POST', '/api/tenants/acme/members', { body: { email: 'carol@acme.test', name: 'Carol' } }), 409, 'DEZKY_ALREADY_EXISTS')
  })

  test('members, outsiders and other surfaces cannot create; bad bodies name the field', async () => {
    refused(await call('POST', '/api/tenants/acme/members', { as: 'bob', body: { email: 'x@acme.test', name: 'X' } }), 403, 'DEZKY_FORBIDDEN')
    refused(await call('POST', '/api/tenants/acme/members', { as: 'eve', body: { email: 'x@acme.test', name: 'X' } }), 403, 'DEZKY_FORBIDDEN')
    refused(await call('POST', '/api/tenants/acme/members', { body: { email: 'not-an-address', name: 'X' } }), 400, 'DEZKY_INVALID_ARGUMENT', { field: 'member.email' })
    refused(await call('POST', '/api/tenants/acme/members', { body: { email: 'x@acme.test' } }), 400, 'DEZKY_INVALID_ARGUMENT', { field: 'member.name' })
    refused(await call('POST', '/api/tenants/acme/members', { body: { email: 'x@acme.test', name: 'X', role: 'admin' } }), 400, 'DEZKY_INVALID_ARGUMENT', { field: 'role' })
    refused(await call('POST', '/api/tenants/acme/members', { body: { email: 'x@acme.test', name: 'X', quotaBytes: 0 } }), 400, 'DEZKY_INVALID_ARGUMENT', { field: 'member.quotaBytes' })
  })

  test('suspend, resume and reset; never oneself', async () => {
    const suspended = await call('POST', `/api/tenants/acme/members/${carol}/suspend`)
    assert.equal(suspended.status, 200, JSON.stringify(suspended.body))
    assert.ok(suspended.body.effects.length > 0)
    const resumed = await call('POST', `/api/tenants/acme/members/${carol}/resume`)
    assert.equal(resumed.status, 200, JSON.stringify(resumed.body))
    refused(await call('POST', `/api/tenants/acme/members/${ADA}/suspend`), 403, 'DEZKY_FORBIDDEN')
    refused(await call('POST', `/api/tenants/acme/members/${carol}/suspend`, { as: 'bob' }), 403, 'DEZKY_FORBIDDEN')
    refused(await call('POST', '/api/tenants/acme/members/6650f1c2a9b4e3d2c1b0afff/suspend'), 404, 'DEZKY_NOT_FOUND')
    const reset = await call('POST', `/api/tenants/acme/members/${carol}/reset-password`)
    assert.equal(reset.status, 200)
    assert.equal(typeof reset.body.password, 'string')
    assert.notEqual(reset.body.password, password)
    // The server logged neither password.
    assert.ok(!instance.log().includes(password))
    assert.ok(!instance.log().includes(reset.body.password))
  })

  test('remove: the member is gone upstream and from the database', async () => {
    refused(await call('DELETE', `/api/tenants/acme/members/${carol}`, { as: 'bob' }), 403, 'DEZKY_FORBIDDEN')
    const removed = await call('DELETE', `/api/tenants/acme/members/${carol}`)
    assert.equal(removed.status, 200, JSON.stringify(removed.body))
    assert.equal(removed.body.complete, true)
    assert.equal(removed.body.deleted, true)
    refused(await call('DELETE', `/api/tenants/acme/members/${carol}`), 404, 'DEZKY_NOT_FOUND')
  })
})

describe('mail domains', () => {
  const fault = (body) => call('POST', '/api/testing/faults', { as: 'root', body: { upstream: 'mail', ...body } })
  const add = (name, as = 'ada') => call('POST', '/api/tenants/acme/domains', { as, body: { name } })
  const names = async () => (await call('GET', '/api/tenants/acme/domains')).body.map((d) => d.name).sort()
  let expected
  let ownershipToken

  test('a tenant admin adds a domain: the records to publish and the ownership token', async () => {
    const { status, body } = await add(' Mail.ACME.test. ')
    assert.equal(status, 201, JSON.stringify(body))
    assert.deepEqual(body.domain, { name: 'mail.acme.test', status: 'pending' })
    assert.equal(body.adopted, false)
    assert.match(body.ownershipToken, /^[A-Za-z0-9_-]{43}$/)
    const last = body.expected.checks.at(-1)
    assert.equal(last.kind, 'ownership')
    assert.equal(last.name, '_dezky-challenge.mail.acme.test.')
    assert.deepEqual(last.values, [`dezky-domain-verification=${body.ownershipToken}`])
    assert.ok(body.expected.checks.some((c) => c.kind === 'mx'))
    assert.ok(body.dkimSelectors.length > 0)
    expected = body.expected
    ownershipToken = body.ownershipToken
    // The same name again: the mail server adopts it, the domains collection's unique name refuses it.
    refused(await add('mail.acme.test'), 409, 'DEZKY_ALREADY_EXISTS')
    // Another tenant (a platform admin acting for it) cannot take it: the mail server marks it for acme.
    const taken = await call('POST', '/api/tenants/globex/domains', { as: 'root', body: { name: 'mail.acme.test' } })
    refused(taken, 409, 'DEZKY_ALREADY_EXISTS', { target: 'mail.acme.test', holder: ACME })
  })

  test('members, outsiders and bad bodies are refused, naming the field', async () => {
    refused(await add('x.acme.test', 'bob'), 403, 'DEZKY_FORBIDDEN')
    refused(await add('x.acme.test', 'eve'), 403, 'DEZKY_FORBIDDEN')
    refused(await add('x.acme.test', 'pia'), 403, 'DEZKY_FORBIDDEN')
    refused(await add('bad_label.test'), 400, 'DEZKY_INVALID_ARGUMENT', { field: 'domain.name' })
    refused(await add('nodot'), 400, 'DEZKY_INVALID_ARGUMENT', { field: 'domain.name' })
    refused(await call('POST', '/api/tenants/acme/domains', { body: { name: 42 } }), 400, 'DEZKY_INVALID_ARGUMENT', { field: 'name' })
    refused(await call('POST', '/api/tenants/acme/domains', { body: {} }), 400, 'DEZKY_INVALID_ARGUMENT', { field: 'name' })
    refused(await call('POST', '/api/tenants/acme/domains', { body: { name: 'y.acme.test', status: 'verified' } }), 400, 'DEZKY_INVALID_ARGUMENT', { field: 'status' })
    refused(await call('POST', '/api/tenants/acme/domains', { raw: '{"name"' }), 400, 'DEZKY_MALFORMED_JSON')
    refused(await call('POST', '/api/tenants/nope/domains', { body: { name: 'y.acme.test' } }), 404, 'DEZKY_NOT_FOUND')
    assert.deepEqual(await names(), ['acme.test', 'mail.acme.test'])
  })

  test("GET lists the tenant's domains for its members, without the token", async () => {
    const { status, body } = await call('GET', '/api/tenants/acme/domains', { as: 'bob' })
    assert.equal(status, 200, JSON.stringify(body))
    assert.deepEqual(
      body.map((d) => [d.name, d.primary, d.status]).sort(),
      [['acme.test', true, 'verified'], ['mail.acme.test', false, 'pending']],
    )
    assert.ok(!JSON.stringify(body).includes(ownershipToken))
    refused(await call('GET', '/api/tenants/acme/domains', { as: 'eve' }), 403, 'DEZKY_FORBIDDEN')
    refused(await call('GET', '/api/tenants/acme/domains', { as: null }), 401, 'DEZKY_TOKEN_MALFORMED')
  })

  test('recheck asks the local nameserver: pending without the ownership TXT, then verified, then failing', async () => {
    const recheck = (as = 'ada') => call('POST', '/api/tenants/acme/domains/mail.acme.test/recheck', { as })
    publish(dns, expected, (check) => check.kind === 'ownership')
    const before = dns.queries.length
    const pending = await recheck('bob')
    assert.equal(pending.status, 200, JSON.stringify(pending.body))
    assert.equal(pending.body.domain.status, 'pending')
    assert.ok(dns.queries.length > before, 'the local nameserver was asked')
    const statuses = Object.fromEntries(pending.body.report.checks.map((c) => [c.kind, c.status]))
    assert.equal(statuses.ownership, 'missing', JSON.stringify(pending.body.report))
    assert.equal(statuses.mx, 'ok', JSON.stringify(pending.body.report))
    assert.ok(pending.body.report.needsAttention)

    publish(dns, expected)
    const verified = await recheck()
    assert.equal(verified.status, 200, JSON.stringify(verified.body))
    assert.equal(verified.body.domain.status, 'verified', JSON.stringify(verified.body.report))
    assert.equal(typeof verified.body.domain.verifiedAt, 'string')
    assert.equal(verified.body.report.needsAttention, false)

    // The MX record moves elsewhere: a verified domain that no longer passes is failing.
    const mx = expected.checks.find((c) => c.kind === 'mx')
    dns.records.set(`${mx.name.toLowerCase()}|MX`, ['10 mx.elsewhere.test.'])
    const failing = await recheck()
    assert.equal(failing.body.domain.status, 'failing', JSON.stringify(failing.body.report))
    const listed = await call('GET', '/api/tenants/acme/domains')
    assert.equal(listed.body.find((d) => d.name === 'mail.acme.test').status, 'failing')
    publish(dns, expected)

    refused(await recheck('eve'), 403, 'DEZKY_FORBIDDEN')
    refused(await call('POST', '/api/tenants/acme/domains/other.test/recheck'), 404, 'DEZKY_NOT_FOUND')
    refused(await call('POST', '/api/tenants/acme/domains/mail.acme.test/recheck', { body: { force: true } }), 400, 'DEZKY_INVALID_ARGUMENT', { field: 'force' })
  })

  for (const [op, afterEffect, code, status, retryAfterMs, retryAfter] of [
    ['createDomain', false, 'DEZKY_UPSTREAM_UNAVAILABLE', 503, 2000, '2'],
    ['createDomain', true, 'DEZKY_RATE_LIMITED', 429, 1200, '2'],
    ['zoneFile', false, 'DEZKY_TIMEOUT', 504, undefined, null],
    ['dkimSelectors', false, 'DEZKY_UPSTREAM_UNAVAILABLE', 503, undefined, null],
  ]) {
    test(`${code} at the mail server's ${op}${afterEffect ? ' (answer lost)' : ''} is a ${status}, nothing left behind`, async () => {
      const queued = await fault({ op, code, afterEffect, retryAfterMs })
      assert.equal(queued.status, 200, JSON.stringify(queued.body))
      const answer = await add('lists.acme.test')
      refused(answer, status, code)
      assert.equal(answer.headers.get('retry-after'), retryAfter)
      assert.equal(answer.body.details.failure, undefined)
      assert.deepEqual(await names(), ['acme.test', 'mail.acme.test'])
      // Nothing was left on the mail server: the same domain is added anew, then removed.
      const again = await add('lists.acme.test')
      assert.equal(again.status, 201, JSON.stringify(again.body))
      assert.equal(again.body.adopted, false)
      const removed = await call('DELETE', '/api/tenants/acme/domains/lists.acme.test')
      assert.equal(removed.status, 200, JSON.stringify(removed.body))
    })
  }

  test('the fault route refuses what the mail server does not know', async () => {
    refused(await fault({ op: 'explode', code: 'DEZKY_TIMEOUT' }), 400, 'DEZKY_INVALID_ARGUMENT', { field: 'op' })
    refused(await fault({ kind: 'mailbox', op: 'zoneFile', code: 'DEZKY_TIMEOUT' }), 400, 'DEZKY_INVALID_ARGUMENT', { field: 'kind' })
    refused(await call('POST', '/api/testing/faults', { as: 'root', body: { upstream: 'dns', op: 'x', code: 'DEZKY_TIMEOUT' } }), 400, 'DEZKY_INVALID_ARGUMENT', { field: 'upstream' })
  })

  test('remove: the in-use guard is a 409; members refused; a failure answers its status and a retry completes', async () => {
    refused(await call('DELETE', '/api/tenants/acme/domains/acme.test'), 409, 'DEZKY_IN_USE')
    assert.equal((await add('team.acme.test')).status, 201)
    const mailbox = await call('POST', '/api/testing/mailboxes', { as: 'root', body: { address: 'sam@team.acme.test' } })
    assert.equal(mailbox.status, 200, JSON.stringify(mailbox.body))
    const inUse = await call('DELETE', '/api/tenants/acme/domains/team.acme.test')
    refused(inUse, 409, 'DEZKY_IN_USE')
    assert.ok(JSON.stringify(inUse.body.details).includes(mailbox.body.id), JSON.stringify(inUse.body))
    assert.deepEqual(await names(), ['acme.test', 'mail.acme.test', 'team.acme.test'])

    refused(await call('DELETE', '/api/tenants/acme/domains/mail.acme.test', { as: 'bob' }), 403, 'DEZKY_FORBIDDEN')
    refused(await call('DELETE', '/api/tenants/acme/domains/mail.acme.test', { as: 'eve' }), 403, 'DEZKY_FORBIDDEN')
    await fault({ op: 'removeDomain', code: 'DEZKY_UPSTREAM_UNAVAILABLE', retryAfterMs: 3000 })
    const failed = await call('DELETE', '/api/tenants/acme/domains/mail.acme.test')
    refused(failed, 503, 'DEZKY_UPSTREAM_UNAVAILABLE')
    assert.equal(failed.headers.get('retry-after'), '3')
    assert.deepEqual(await names(), ['acme.test', 'mail.acme.test', 'team.acme.test'])
    const removed = await call('DELETE', '/api/tenants/acme/domains/mail.acme.test')
    assert.equal(removed.status, 200, JSON.stringify(removed.body))
    assert.deepEqual(removed.body, { removed: 'mail.acme.test' })
    assert.deepEqual(await names(), ['acme.test', 'team.acme.test'])
    refused(await call('DELETE', '/api/tenants/acme/domains/mail.acme.test'), 404, 'DEZKY_NOT_FOUND')
    // The server logged no ownership token.
    assert.ok(!instance.log().includes(ownershipToken))
  })
})

describe('SSO apps', () => {
  const fault = (body) => call('POST', '/api/testing/faults', { as: 'root', body: { upstream: 'sso', ...body } })
  const wiki = { name: 'Wiki', slug: 'wiki', redirectUris: ['https://wiki.acme.test/callback'] }
  const create = (body, as = 'ada') => call('POST', '/api/tenants/acme/sso-apps', { as, body })
  const list = (as = 'ada') => call('GET', '/api/tenants/acme/sso-apps', { as })
  let secret

  test('a tenant admin creates an app: the record without a secret, the secret once', async () => {
    const { status, body } = await create({ ...wiki, launchUrl: 'https://wiki.acme.test/' })
    assert.equal(status, 201, JSON.stringify(body))
    assert.equal(body.ssoApp.slug, 'wiki')
    assert.equal(body.ssoApp.tenantId, ACME)
    assert.deepEqual(body.ssoApp.redirectUris, wiki.redirectUris)
    assert.equal(typeof body.ssoApp.clientId, 'string')
    assert.equal(body.ssoApp.clientSecret, undefined)
    assert.equal(typeof body.clientSecret, 'string')
    assert.ok(body.clientSecret.length >= 32)
    secret = body.clientSecret
    refused(await create(wiki), 409, 'DEZKY_ALREADY_EXISTS')
  })

  test('members and outsiders cannot create; bad bodies name the field', async () => {
    refused(await create(wiki, 'bob'), 403, 'DEZKY_FORBIDDEN')
    refused(await create(wiki, 'eve'), 403, 'DEZKY_FORBIDDEN')
    refused(await create({ ...wiki, slug: 'chat', clientSecret: 'mine' }), 400, 'DEZKY_INVALID_ARGUMENT', { field: 'clientSecret' })
    refused(await create({ ...wiki, slug: 'a chat' }), 400, 'DEZKY_INVALID_ARGUMENT', { field: 'slug' })
    refused(await create({ ...wiki, slug: 'chat', redirectUris: [] }), 400, 'DEZKY_INVALID_ARGUMENT', { field: 'redirectUris' })
    refused(await create({ ...wiki, slug: 'chat', redirectUris: 'https://x.test/cb' }), 400, 'DEZKY_INVALID_ARGUMENT', { field: 'redirectUris' })
    refused(await create({ ...wiki, slug: 'chat', redirectUris: [7] }), 400, 'DEZKY_INVALID_ARGUMENT', { field: 'redirectUris[0]' })
    refused(await create({ ...wiki, slug: 'chat', redirectUris: ['not a url'] }), 400, 'DEZKY_INVALID_ARGUMENT', { field: 'redirectUris[0]' })
    refused(await create({ slug: 'chat', redirectUris: wiki.redirectUris }), 400, 'DEZKY_INVALID_ARGUMENT', { field: 'name' })
  })

  test("GET lists the apps bound to the tenant's group, for tenant admins", async () => {
    const { status, body } = await list()
    assert.equal(status, 200, JSON.stringify(body))
    assert.deepEqual(body.map((a) => a.application.slug), ['wiki'])
    assert.equal(body[0].record.clientId.length > 0, true)
    assert.equal(typeof body[0].bindingPk, 'string')
    assert.ok(!JSON.stringify(body).includes(secret))
    refused(await list('bob'), 403, 'DEZKY_FORBIDDEN')
    refused(await list('eve'), 403, 'DEZKY_FORBIDDEN')
    await fault({ op: 'applications', code: 'DEZKY_RATE_LIMITED', retryAfterMs: 4000 })
    const limited = await list()
    refused(limited, 429, 'DEZKY_RATE_LIMITED')
    assert.equal(limited.headers.get('retry-after'), '4')
  })

  test('delete: a failed step answers its status, the retry resumes, then the app is gone', async () => {
    refused(await call('DELETE', '/api/tenants/acme/sso-apps/wiki', { as: 'bob' }), 403, 'DEZKY_FORBIDDEN')
    await fault({ op: 'deleteApplication', code: 'DEZKY_UPSTREAM_UNAVAILABLE' })
    const failed = await call('DELETE', '/api/tenants/acme/sso-apps/wiki')
    refused(failed, 503, 'DEZKY_UPSTREAM_UNAVAILABLE')
    assert.equal(failed.body.details.failure, undefined)
    const resumed = await call('DELETE', '/api/tenants/acme/sso-apps/wiki')
    assert.equal(resumed.status, 200, JSON.stringify(resumed.body))
    // The binding went in the failed run; the retry removes the application and the provider.
    assert.deepEqual(
      resumed.body.steps.map((s) => [s.what, s.outcome]),
      [['application', 'removed'], ['provider', 'removed']],
    )
    assert.deepEqual((await list()).body, [])
    refused(await call('DELETE', '/api/tenants/acme/sso-apps/wiki'), 404, 'DEZKY_NOT_FOUND')
    assert.ok(!instance.log().includes(secret))
  })

  test('a delete whose answer was lost is safe to repeat', async () => {
    assert.equal((await create({ ...wiki, slug: 'chat' })).status, 201)
    await fault({ op: 'deleteProvider', code: 'DEZKY_TIMEOUT', afterEffect: true })
    refused(await call('DELETE', '/api/tenants/acme/sso-apps/chat'), 504, 'DEZKY_TIMEOUT')
    const again = await call('DELETE', '/api/tenants/acme/sso-apps/chat')
    assert.equal(again.status, 200, JSON.stringify(again.body))
    assert.ok(again.body.steps.every((s) => s.outcome === 'absent'), JSON.stringify(again.body.steps))
  })
})

describe('partners', () => {
  const op = { as: 'root', surface: 'operator' }
  let baltic

  test('the operator app creates a partner; anyone else is refused; bad bodies name the field', async () => {
    refused(await call('POST', '/api/partners', { as: 'root', body: { slug: 'baltic-it', name: 'Baltic IT' } }), 403, 'DEZKY_FORBIDDEN')
    refused(await call('POST', '/api/partners', { as: 'ada', surface: 'operator', body: { slug: 'baltic-it', name: 'Baltic IT' } }), 403, 'DEZKY_FORBIDDEN')
    refused(await call('POST', '/api/partners', { ...op, body: { slug: 'Baltic IT', name: 'Baltic IT' } }), 400, 'DEZKY_INVALID_ARGUMENT', { field: 'partner.slug' })
    refused(await call('POST', '/api/partners', { ...op, body: { slug: 'baltic-it', name: 'Baltic IT', marginPct: 120 } }), 400, 'DEZKY_INVALID_ARGUMENT', { field: 'partner.marginPct' })
    refused(await call('POST', '/api/partners', { ...op, body: { slug: 'baltic-it', name: 'Baltic IT', status: 'active' } }), 400, 'DEZKY_INVALID_ARGUMENT', { field: 'status' })
    const { status, body } = await call('POST', '/api/partners', { ...op, body: { slug: 'baltic-it', name: 'Baltic IT', marginPct: 15 } })
    assert.equal(status, 201, JSON.stringify(body))
    assert.equal(body.partner.status, 'active')
    baltic = body.partner._id
    refused(await call('POST', '/api/partners', { ...op, body: { slug: 'baltic-it', name: 'Again' } }), 409, 'DEZKY_ALREADY_EXISTS')
  })

  test('attach and detach a tenant: operators only; detach removes the field', async () => {
    const attach = (o, body) => call('POST', '/api/partners/baltic-it/tenants', { ...o, body })
    refused(await attach({ as: 'ada' }, { tenant: 'globex' }), 403, 'DEZKY_FORBIDDEN')
    refused(await attach({ as: 'root' }, { tenant: 'globex' }), 403, 'DEZKY_FORBIDDEN')
    refused(await attach(op, {}), 400, 'DEZKY_INVALID_ARGUMENT', { field: 'tenant' })
    refused(await attach(op, { tenant: 'nope' }), 404, 'DEZKY_NOT_FOUND')
    refused(await call('POST', '/api/partners/nope/tenants', { ...op, body: { tenant: 'globex' } }), 404, 'DEZKY_NOT_FOUND')
    const attached = await attach(op, { tenant: 'globex' })
    assert.equal(attached.status, 200, JSON.stringify(attached.body))
    assert.equal(attached.body.tenant.partnerId.$oid ?? attached.body.tenant.partnerId, baltic)

    refused(await call('DELETE', '/api/partners/baltic-it/tenants/globex', { as: 'root' }), 403, 'DEZKY_FORBIDDEN')
    refused(await call('DELETE', '/api/partners/baltic-it/tenants/acme', op), 404, 'DEZKY_NOT_FOUND')
    const detached = await call('DELETE', '/api/partners/baltic-it/tenants/globex', op)
    assert.equal(detached.status, 200, JSON.stringify(detached.body))
    assert.ok(!('partnerId' in detached.body.tenant))
    refused(await call('DELETE', '/api/partners/baltic-it/tenants/globex', op), 404, 'DEZKY_NOT_FOUND')
  })

  test('partner staff invitations: the operator app or the partner\'s own staff; the link once', async () => {
    const invite = (slug, o, body) => call('POST', `/api/partners/${slug}/users`, { ...o, body })
    const byOperator = await invite('nordic-it', op, { email: 'bo@nordic.test', name: 'Bo' })
    assert.equal(byOperator.status, 201, JSON.stringify(byOperator.body))
    assert.equal(byOperator.body.member.partnerId, PARTNER)
    assert.equal(typeof byOperator.body.recoveryLink, 'string')
    const byStaff = await invite('nordic-it', { as: 'pia' }, { email: 'liv@nordic.test', name: 'Liv' })
    assert.equal(byStaff.status, 201, JSON.stringify(byStaff.body))
    refused(await invite('baltic-it', { as: 'pia' }, { email: 'x@nordic.test', name: 'X' }), 403, 'DEZKY_FORBIDDEN')
    refused(await invite('nordic-it', { as: 'ada' }, { email: 'x@nordic.test', name: 'X' }), 403, 'DEZKY_FORBIDDEN')
    refused(await invite('nordic-it', { as: 'root' }, { email: 'x@nordic.test', name: 'X' }), 403, 'DEZKY_FORBIDDEN')
    refused(await invite('nordic-it', { as: 'ada', surface: 'operator' }, { email: 'x@nordic.test', name: 'X' }), 403, 'DEZKY_FORBIDDEN')
    refused(await invite('nordic-it', op, { email: 'x@nordic.test', name: 'X', partnerId: PARTNER }), 400, 'DEZKY_INVALID_ARGUMENT', { field: 'partnerId' })
    refused(await invite('nordic-it', op, { email: 'not-an-address', name: 'X' }), 400, 'DEZKY_INVALID_ARGUMENT')
    refused(await invite('nope', op, { email: 'x@nordic.test', name: 'X' }), 404, 'DEZKY_NOT_FOUND')
    // An identity-provider failure is its status, and nothing is left: the same invitation succeeds after.
    await call('POST', '/api/testing/faults', { as: 'root', body: { kind: 'identity', op: 'recoveryLink', code: 'DEZKY_UPSTREAM_UNAVAILABLE', retryAfterMs: 1000 } })
    const failed = await invite('nordic-it', op, { email: 'kim@nordic.test', name: 'Kim' })
    refused(failed, 503, 'DEZKY_UPSTREAM_UNAVAILABLE')
    assert.equal(failed.headers.get('retry-after'), '1')
    assert.equal((await invite('nordic-it', op, { email: 'kim@nordic.test', name: 'Kim' })).status, 201)
    const log = instance.log()
    assert.ok(!log.includes(byOperator.body.recoveryLink) && !log.includes(byStaff.body.recoveryLink))
  })

  test('terminate is a soft status; a terminated partner takes no tenants and no staff', async () => {
    refused(await call('DELETE', '/api/partners/baltic-it', { as: 'root' }), 403, 'DEZKY_FORBIDDEN')
    const terminated = await call('DELETE', '/api/partners/baltic-it', op)
    assert.equal(terminated.status, 200, JSON.stringify(terminated.body))
    assert.equal(terminated.body.partner.status, 'terminated')
    assert.equal(typeof terminated.body.partner.terminatedAt, 'string')
    const again = await call('DELETE', '/api/partners/baltic-it', op)
    assert.equal(again.status, 200)
    assert.equal(again.body.partner.terminatedAt, terminated.body.partner.terminatedAt)
    refused(await call('POST', '/api/partners/baltic-it/tenants', { ...op, body: { tenant: 'globex' } }), 400, 'DEZKY_INVALID_ARGUMENT', { field: 'partner.status' })
    refused(await call('POST', '/api/partners/baltic-it/users', { ...op, body: { email: 'x@baltic.test', name: 'X' } }), 403, 'DEZKY_FORBIDDEN')
  })
})

describe('upstream failures', () => {
  const fault = (body) => call('POST', '/api/testing/faults', { as: 'root', body })
  const create = (email) => call('POST', '/api/tenants/acme/members', { body: { email, name: 'Dave' } })

  for (const [code, status, retryAfterMs, retryAfter] of [
    ['DEZKY_UPSTREAM_UNAVAILABLE', 503, 2000, '2'],
    ['DEZKY_RATE_LIMITED', 429, 1500, '2'],
    ['DEZKY_TIMEOUT', 504, undefined, null],
    ['DEZKY_UPSTREAM_REJECTED', 422, undefined, null],
  ]) {
    test(`${code} at the mailbox is a ${status}, with nothing left behind`, async () => {
      const queued = await fault({ kind: 'mailbox', op: 'create', code, retryAfterMs })
      assert.equal(queued.status, 200, JSON.stringify(queued.body))
      const answer = await create('dave@acme.test')
      refused(answer, status, code)
      assert.equal(answer.headers.get('retry-after'), retryAfter)
      assert.equal(answer.body.details.failure, undefined)
      // Nothing was left behind: the same member can be created now.
      const again = await create('dave@acme.test')
      assert.equal(again.status, 201, JSON.stringify(again.body))
      const removed = await call('DELETE', `/api/tenants/acme/members/${again.body.userId}`)
      assert.equal(removed.body.complete, true)
    })
  }

  test('the fault route is for platform admins, and refuses what it does not know', async () => {
    refused(await call('POST', '/api/testing/faults', { body: { kind: 'mailbox', op: 'create', code: 'DEZKY_TIMEOUT' } }), 403, 'DEZKY_FORBIDDEN')
    refused(await fault({ kind: 'calendar', op: 'create', code: 'DEZKY_TIMEOUT' }), 400, 'DEZKY_INVALID_ARGUMENT', { field: 'kind' })
  })

  test("an issuer whose keys cannot be fetched is a 503", async () => {
    const port = await freePort()
    const down = `http://127.0.0.1:${port}/application/o/dezky-portal/`
    const alone = await startServer({ AUTHENTIK_ISSUER: down, AUTHENTIK_AUDIENCE: 'dezky-portal' })
    try {
      const now = Math.floor(Date.now() / 1000)
      const claims = { iss: down, aud: 'dezky-portal', sub: 'ada', exp: now + 300, iat: now }
      const input = `${b64({ alg: 'RS256', typ: 'JWT', kid: KID })}.${b64(claims)}`
      const signed = `${input}.${crypto.sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`
      refused(await call('GET', '/api/me', { auth: `Bearer ${signed}`, at: alone.url }), 503, 'DEZKY_AUTH_KEYS_UNAVAILABLE')
    } finally {
      alone.child.kill()
    }
  })
})

test('with DEZKY_FLAGS_URL the server evaluates the flags of GET /flags', async () => {
  const flagsToken = 'dzk_example_token'
  const served = [
    { key: 'from_control_plane', state: 'on' },
    { key: 'gdpr_export_v2', state: 'off' },
  ]
  const requests = []
  const controlPlane = createHttpServer((req, res) => {
    requests.push(req.headers.authorization)
    if (req.headers.authorization !== `Bearer ${flagsToken}`) return res.writeHead(401).end()
    if (req.headers['if-none-match'] === '"cp1"') return res.writeHead(304).end()
    res.writeHead(200, { 'content-type': 'application/json', etag: '"cp1"' }).end(JSON.stringify(served))
  })
  await new Promise((resolve) => controlPlane.listen(0, '127.0.0.1', resolve))
  const flagsUrl = `http://127.0.0.1:${controlPlane.address().port}/flags`
  const other = await startServer({ DEZKY_FLAGS_URL: flagsUrl, DEZKY_FLAGS_TOKEN: flagsToken })
  try {
    const { status, body } = await call('POST', '/api/flags/evaluate', { body: {}, at: other.url })
    assert.equal(status, 200, `${JSON.stringify(body)}\n${other.log()}`)
    assert.deepEqual(body, { from_control_plane: true, gdpr_export_v2: false })
    assert.ok(requests.length >= 1 && requests.every((a) => a === `Bearer ${flagsToken}`))
  } finally {
    other.child.kill()
    controlPlane.closeAllConnections()
    controlPlane.close()
  }
})
