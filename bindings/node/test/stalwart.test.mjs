// StalwartClient against a JMAP server on 127.0.0.1 (node:http) that answers
// method calls by name, resolves `#` result references, checks the Basic
// credential and records every request body.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import { after, before, beforeEach, test } from 'node:test'

import { StalwartClient, assertCode } from '../__test__/helpers.mjs'

const AUTH = `Basic ${Buffer.from('admin:s3cret-admin').toString('base64')}`
const PASSWORD = 'Correct-Horse-Battery-42'

const SESSION = {
  capabilities: { 'urn:ietf:params:jmap:core': { maxConcurrentRequests: 4, maxObjectsInGet: 500, maxObjectsInSet: 500 } },
  accounts: { b: { name: 'admin', accountCapabilities: { 'urn:stalwart:jmap': {} } } },
  primaryAccounts: { 'urn:stalwart:jmap': 'b' },
  username: 'admin',
  apiUrl: 'https://mail.example.com/jmap/',
  state: 's1',
}

const domain = (id, name) => ({ id, name, aliases: {}, isEnabled: true, description: null, createdAt: '2026-11-23T02:00:00Z' })

class JmapServer {
  constructor() {
    this.handler = () => { throw new Error('no handler') }
    this.bodies = []
    this.server = createServer((req, res) => this.handle(req, res))
  }

  async listen() {
    this.server.listen(0, '127.0.0.1')
    await once(this.server, 'listening')
    this.url = `http://127.0.0.1:${this.server.address().port}`
    return this
  }

  /** The method calls of every request: [[name, args], ...] per request. */
  calls() {
    return this.bodies.map((b) => b.methodCalls.map(([name, args]) => [name, args]))
  }

  handle(req, res) {
    if (req.headers.authorization !== AUTH) return this.answer(res, 401, { type: 'about:blank', status: 401, detail: 'You have to authenticate first.' })
    if (req.method === 'GET' && req.url === '/jmap/session') return this.answer(res, 200, SESSION)
    if (req.method !== 'POST' || req.url !== '/jmap/') return this.answer(res, 404, {})
    let text = ''
    req.on('data', (chunk) => { text += chunk })
    req.on('end', () => {
      const body = JSON.parse(text)
      this.bodies.push(body)
      const answers = []
      for (const [name, args, id] of body.methodCalls) {
        const resolved = {}
        let failed = false
        for (const [key, value] of Object.entries(args)) {
          if (key.startsWith('#')) {
            const earlier = answers.find((a) => a[2] === value.resultOf)
            if (!earlier || earlier[0] === 'error') failed = true
            else resolved[key.slice(1)] = earlier[1][value.path.slice(1)]
          } else resolved[key] = value
        }
        if (failed) {
          answers.push(['error', { type: 'invalidResultReference' }, id])
          continue
        }
        const [answerName, result] = this.handler(name, resolved)
        answers.push([answerName, result, id])
      }
      this.answer(res, 200, { methodResponses: answers, sessionState: 's1' })
    })
  }

  answer(res, status, body) {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }
}

let server
let client

before(async () => {
  server = await new JmapServer().listen()
})

after(() => {
  server.server.closeAllConnections()
  server.server.close()
})

beforeEach(() => {
  server.bodies = []
  client = new StalwartClient({ baseUrl: server.url, username: 'admin', password: 's3cret-admin', maxRetries: 0 })
})

test('options are checked', async () => {
  await assertCode(() => new StalwartClient({}), 'DEZKY_INVALID_ARGUMENT', { field: 'options.baseUrl' })
  await assertCode(() => new StalwartClient({ baseUrl: server.url }), 'DEZKY_INVALID_ARGUMENT', { field: 'options' })
  await assertCode(
    () => new StalwartClient({ baseUrl: server.url, apiKey: 'k', username: 'a', password: 'b' }),
    'DEZKY_INVALID_ARGUMENT',
  )
  await assertCode(() => new StalwartClient({ baseUrl: 'ftp://x', apiKey: 'k' }), 'DEZKY_CONFIG')
  await assertCode(() => new StalwartClient({ baseUrl: server.url, apiKey: 'k', timeoutMs: -1 }), 'DEZKY_INVALID_ARGUMENT', {
    field: 'options.timeoutMs',
  })
})

test('fromEnv needs the URL and a credential', async () => {
  const saved = { ...process.env }
  try {
    delete process.env.STALWART_API_URL
    await assertCode(() => StalwartClient.fromEnv(), 'DEZKY_CONFIG', { field: 'STALWART_API_URL' })
    process.env.STALWART_API_URL = server.url
    delete process.env.STALWART_API_KEY
    delete process.env.STALWART_USERNAME
    await assertCode(() => StalwartClient.fromEnv(), 'DEZKY_CONFIG', { field: 'STALWART_API_KEY' })
    process.env.STALWART_USERNAME = 'admin'
    process.env.STALWART_PASSWORD = 's3cret-admin'
    server.handler = (name) => (name === 'x:Domain/get' ? [name, { list: [domain('c', 'acme.test')] }] : ['error', { type: 'unknownMethod' }])
    const found = await StalwartClient.fromEnv().getDomain('c')
    assert.equal(found.name, 'acme.test')
  } finally {
    process.env = saved
  }
})

test("listDomains: every domain or one tenant's, sorted by name, without zone files", async () => {
  const names = { c: 'acme.test', m: 'mid.test', z: 'zeta.test' }
  server.handler = (name, args) => {
    switch (name) {
      case 'x:Domain/query': {
        const tenant = args.filter.memberTenantId
        return [name, { ids: tenant === undefined ? ['z', 'c', 'm'] : tenant === 't1' ? ['m'] : [] }]
      }
      case 'x:Domain/get':
        assert.ok(!(args.properties ?? []).includes('dnsZoneFile'))
        return [name, { list: args.ids.map((id) => domain(id, names[id])) }]
      default:
        return ['error', { type: 'unknownMethod' }]
    }
  }
  assert.deepEqual((await client.listDomains()).map((d) => d.name), ['acme.test', 'mid.test', 'zeta.test'])
  const [own, ...others] = await client.listDomains('t1')
  assert.equal(own.id, 'm')
  assert.deepEqual(others, [])
  assert.deepEqual(await client.listDomains('t9'), [])
  assert.deepEqual(server.calls()[2][0][1].filter, { memberTenantId: 't1' })
  assert.equal(server.calls().length, 5, 'no /get without ids')
  await assertCode(() => client.listDomains('a/b'), 'DEZKY_INVALID_ARGUMENT')
  await assertCode(() => client.listDomains(7), 'DEZKY_INVALID_ARGUMENT', { argument: 'tenantId' })
  assert.equal(server.calls().length, 5)
})

test('domains: create, find, read with the zone file', async () => {
  server.handler = (name, args) => {
    switch (name) {
      case 'x:Domain/set':
        assert.deepEqual(args.create.d, { name: 'acme.test', description: 'tenant 42', aliases: { 'alias.test': true } })
        assert.equal(args.accountId, 'b')
        return [name, { created: { d: { id: 'c' } } }]
      case 'x:Domain/query':
        return [name, { ids: args.filter.name === 'acme.test' ? ['c'] : [] }]
      case 'x:Domain/get':
        if (args.ids.length === 0) return [name, { list: [] }]
        if (args.ids[0] !== 'c') return [name, { list: [], notFound: args.ids }]
        return [name, { list: [{ ...domain('c', 'acme.test'), aliases: { 'alias.test': true }, dnsZoneFile: 'acme.test. IN MX 10 mail.acme.test.\n' }] }]
      default:
        return ['error', { type: 'unknownMethod' }]
    }
  }
  const id = await client.createDomain({ name: 'acme.test', description: 'tenant 42', aliases: ['alias.test'] })
  assert.equal(id, 'c')
  const found = await client.findDomain('acme.test')
  assert.equal(found.id, 'c')
  assert.deepEqual(found.aliases, ['alias.test'])
  assert.equal(found.isEnabled, true)
  assert.equal(await client.findDomain('none.test'), null)
  const read = await client.getDomain('c')
  assert.match(read.dnsZoneFile, /IN MX/)
  await assertCode(() => client.getDomain('zz'), 'DEZKY_NOT_FOUND', { status: 200, service: 'stalwart' })
  await assertCode(() => client.getDomain(42), 'DEZKY_INVALID_ARGUMENT', { argument: 'id' })
  await assertCode(() => client.createDomain({ name: 'a.test', aliases: 'b.test' }), 'DEZKY_INVALID_ARGUMENT', {
    field: 'domain.aliases',
  })
  const calls = server.calls()
  assert.deepEqual(calls[1][1][1]['#ids'], { resultOf: 'c0', name: 'x:Domain/query', path: '/ids' })
})

test('waitForDkim resolves when the signatures exist and times out otherwise', async () => {
  let polls = 0
  server.handler = (name, args) => {
    if (name === 'x:DkimSignature/query') return [name, { ids: ++polls >= 2 ? ['f'] : [] }]
    if (name === 'x:DkimSignature/get') {
      return [name, { list: args.ids.map((id) => ({ id, '@type': 'Dkim1Ed25519Sha256', domainId: 'c', selector: 'v1-ed25519-20261123', stage: 'active', publicKey: 'PEM' })) }]
    }
    return ['error', { type: 'unknownMethod' }]
  }
  const signatures = await client.waitForDkim('c', 5000)
  assert.equal(signatures.length, 1)
  assert.equal(signatures[0].algorithm, 'Dkim1Ed25519Sha256')
  assert.equal(signatures[0].domainId, 'c')
  polls = -1000
  const error = await assertCode(() => client.waitForDkim('c', 300), 'DEZKY_TIMEOUT', { method: 'WAIT', service: 'stalwart' })
  assert.equal(error.timeoutMs, 300)
})

test('deleteDomain removes DKIM-only links and refuses accounts as in use', async () => {
  let keys = ['f']
  let linkAccount = false
  server.handler = (name, args) => {
    switch (name) {
      case 'x:Domain/set': {
        const links = [...(linkAccount ? [{ object: 'Account', id: 'd' }] : []), ...keys.map((id) => ({ object: 'DkimSignature', id }))]
        if (links.length === 0) return [name, { destroyed: ['c'] }]
        return [name, { notDestroyed: { c: { type: 'objectIsLinked', objectId: { object: 'Domain', id: 'c' }, linkedObjects: links } } }]
      }
      case 'x:DkimSignature/query':
        return [name, { ids: keys }]
      case 'x:DkimSignature/set':
        assert.deepEqual(args.destroy, ['f'])
        keys = []
        return [name, { destroyed: args.destroy }]
      default:
        return ['error', { type: 'unknownMethod' }]
    }
  }
  await client.deleteDomain('c')
  assert.equal(server.calls().length, 2)
  keys = ['f']
  linkAccount = true
  const error = await assertCode(() => client.deleteDomain('c'), 'DEZKY_IN_USE', { upstreamCode: 'objectIsLinked', status: 200 })
  assert.deepEqual(error.linked, ['Account/d', 'DkimSignature/f'])
  assert.deepEqual(keys, ['f'], 'nothing was destroyed')
})

const account = (permissions) => ({
  id: 'd',
  '@type': 'User',
  name: 'alice',
  domainId: 'c',
  emailAddress: 'alice@acme.test',
  quotas: { maxDiskQuota: 1073741824 },
  permissions,
  credentials: { 0: { '@type': 'Password', secret: '****', credentialId: 'p1' } },
  aliases: {},
  memberGroupIds: {},
  locale: 'en_US',
  usedDiskQuota: 2048,
})

test('mailboxes: create with the address book, read, suspend and resume, reset, delete', async () => {
  let state = account({ '@type': 'Merge', enabledPermissions: { impersonate: true }, disabledPermissions: { emailSend: true } })
  const original = structuredClone(state.permissions)
  server.handler = (name, args) => {
    switch (name) {
      case 'x:Account/set':
        if (args.create) {
          assert.deepEqual(args.create.u, {
            '@type': 'User', name: 'alice', domainId: 'c',
            credentials: { 0: { '@type': 'Password', secret: PASSWORD } },
            quotas: { maxDiskQuota: 1073741824 },
          })
          return [name, { created: { u: { id: 'd' } } }]
        }
        if (args.update) {
          const patch = args.update.d
          if (patch.permissions) {
            assert.deepEqual(Object.keys(patch), ['permissions'])
            state.permissions = patch.permissions
          } else {
            assert.deepEqual(patch, { 'credentials/0/secret': 'New-Strong-Passphrase-2026' })
          }
          return [name, { updated: { d: null } }]
        }
        assert.deepEqual(args.destroy, ['d'])
        return [name, { destroyed: ['d'] }]
      case 'AddressBook/get':
        assert.equal(args.accountId, 'd')
        return [name, { accountId: 'd', list: [{ id: 'a', name: 'default' }], notFound: [] }]
      case 'x:Account/get':
        return [name, { list: [state] }]
      case 'x:Domain/query':
        return [name, { ids: ['c'] }]
      case 'x:Domain/get':
        return [name, { list: [domain('c', 'acme.test')] }]
      case 'x:Account/query':
        assert.deepEqual(args.filter, { name: 'alice', domainId: 'c' })
        return [name, { ids: ['d'] }]
      default:
        return ['error', { type: 'unknownMethod' }]
    }
  }
  const id = await client.createMailbox({ domainId: 'c', name: 'alice', password: PASSWORD, quotaBytes: 1073741824 })
  assert.equal(id, 'd')
  assert.ok(server.bodies[1].using.includes('urn:ietf:params:jmap:contacts'))

  const mailbox = await client.findMailbox('alice@acme.test')
  assert.equal(mailbox.emailAddress, 'alice@acme.test')
  assert.equal(mailbox.quotaBytes, 1073741824)
  assert.equal(mailbox.quotas.maxDiskQuota, 1073741824)
  assert.equal(mailbox.suspended, false)
  assert.equal(mailbox.permissions.type, 'Merge')
  assert.equal(mailbox.credentials.length, 1)
  assert.equal(mailbox.credentials[0].kind, 'Password')
  assert.equal(mailbox.credentials[0].credentialId, 'p1')

  await client.suspendMailbox('d')
  const suspended = await client.getMailbox('d')
  assert.equal(suspended.suspended, true)
  assert.deepEqual(suspended.permissions.disabledPermissions, ['authenticate', 'emailSend'])
  assert.deepEqual(suspended.permissions.enabledPermissions, ['impersonate'])
  await client.resumeMailbox('d')
  assert.deepEqual(state.permissions, original)

  await client.resetPassword('d', 'New-Strong-Passphrase-2026')
  await client.deleteMailbox('d')
})

test('SetErrors reach JavaScript with their code, fields and linked objects', async () => {
  server.handler = (name) => {
    if (name !== 'x:Account/set') return ['error', { type: 'unknownMethod' }]
    return [name, { notCreated: { u: { type: 'primaryKeyViolation', properties: ['email'], description: 'Duplicate', objectId: { object: 'Account', id: 'e' } } } }]
  }
  const error = await assertCode(
    () => client.createMailbox({ domainId: 'c', name: 'alice', password: PASSWORD }),
    'DEZKY_ALREADY_EXISTS',
    { status: 200, upstreamCode: 'primaryKeyViolation', upstreamMessage: 'Duplicate' },
  )
  assert.deepEqual(error.linked, ['Account/e'])
  assert.deepEqual(error.fields, { email: ['Duplicate'] })
  assert.ok(!JSON.stringify({ ...error, message: error.message }).includes(PASSWORD))

  server.handler = (name) => [name, { notCreated: { u: { type: 'invalidForeignKey', objectId: { object: 'Domain', id: 'zz' } } } }]
  const rejected = await assertCode(
    () => client.createMailbox({ domainId: 'zz', name: 'alice', password: PASSWORD }),
    'DEZKY_UPSTREAM_REJECTED',
  )
  assert.ok(rejected.fields.domainId)

  server.handler = () => ['error', { type: 'forbidden', description: 'You do not have permission.' }]
  await assertCode(() => client.getMailbox('d'), 'DEZKY_UPSTREAM_FORBIDDEN', { upstreamCode: 'forbidden', status: 200 })

  const wrong = new StalwartClient({ baseUrl: server.url, username: 'admin', password: 'wrong-password' })
  const unauthorized = await assertCode(() => wrong.getMailbox('d'), 'DEZKY_UPSTREAM_UNAUTHORIZED', { status: 401 })
  assert.ok(!unauthorized.message.includes('wrong-password'))
  await assertCode(() => client.createMailbox({ domainId: 'c', name: 'alice' }), 'DEZKY_INVALID_ARGUMENT', { field: 'mailbox.password' })
})
