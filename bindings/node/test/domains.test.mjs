// A tenant's mail domains through the in-memory mail server of dezky-core
// (the rules are the core's: dezky-core/tests/domains.rs): add with its DKIM
// wait and expected records, a fault at each add step leaving nothing
// behind, verify, list, DMARC, remove with the in-use guard, aliases,
// mailing lists and quotas; refusals and bad input naming the field.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { Domains, assertCode, dmarcRecord, TENANT } from '../__test__/helpers.mjs'

const ADMIN_ID = '6650f1c2a9b4e3d2c1b0a001'
const MEMBER_ID = '6650f1c2a9b4e3d2c1b0a002'
const BOB_ID = '6650f1c2a9b4e3d2c1b0a111'
const DOMAIN_ID = '6650f1c2a9b4e3d2c1b0d003'
/** 2023-11-14T22:13:20.000Z */
const AT = 1_700_000_000_000

function tenant(status = 'active', domains = ['acme.test']) {
  return { _id: TENANT, slug: 'acme', name: 'Acme Co', status, plan: 'business', domains, __v: 4 }
}

const user = (id, subject, role) => ({
  _id: id,
  authentikSubjectId: subject,
  email: `${subject}@acme.test`,
  tenantIds: [TENANT],
  tenantRoles: { [TENANT]: role },
})
const ADMIN = user(ADMIN_ID, 'sub-admin', 'admin')
const MEMBER = user(MEMBER_ID, 'sub-member', 'member')

const actor = (subject = 'sub-admin') => ({ subject, surface: 'portal', email: `${subject}@acme.test` })
const caller = (u = ADMIN) => ({ actor: actor(u.authentikSubjectId), user: u, at: AT })

const names = (d) => d.memoryDomains().map((x) => x.name).sort()

/** Adds `name` and returns the stored domain document (with an id). */
async function added(d, name, t = tenant()) {
  const result = await d.addDomain(t, name, caller())
  return { result, doc: { ...result.document, _id: DOMAIN_ID } }
}

test('addDomain makes the domain, awaits its DKIM keys and returns the records to publish', async () => {
  const d = Domains.inMemory()
  d.dkimAfter(3)
  const { result } = await added(d, ' Mail.ACME.test. ')
  assert.deepEqual(names(d), ['mail.acme.test'])
  assert.equal(result.adopted, false)
  assert.equal(result.document.name, 'mail.acme.test')
  assert.equal(result.document.status, 'pending')
  assert.match(result.ownershipToken, /^[A-Za-z0-9_-]{43}$/)
  assert.equal(result.document.ownershipToken, result.ownershipToken)
  assert.ok(result.dkimSelectors.length > 0)
  // Three looks found none: the waits doubled from 200 ms, and took no real time.
  assert.deepEqual(d.sleeps(), [200, 400, 800])
  const last = result.expected.checks.at(-1)
  assert.equal(last.kind, 'ownership')
  assert.equal(last.name, '_dezky-challenge.mail.acme.test.')
  assert.ok(last.values.some((v) => v.includes(result.ownershipToken)))
  assert.deepEqual(result.tenantPatch.update.$set.domains, ['acme.test', 'mail.acme.test'])
  assert.equal(result.events[0].action, 'domain.add')
  assert.equal(result.events[0].outcome, 'success')
  // The token is in no audit event.
  assert.ok(!JSON.stringify(result.events).includes(result.ownershipToken))

  // A domain marked for this tenant already is adopted; another tenant's is taken.
  const again = await d.addDomain(tenant('active', ['acme.test', 'mail.acme.test']), 'mail.acme.test', caller())
  assert.equal(again.adopted, true)
  assert.equal(again.tenantPatch.update, null)
  d.insertMemoryDomain('taken.test', '6650f1c2a9b4e3d2c1b0afff')
  const e = await assertCode(() => d.addDomain(tenant(), 'taken.test', caller()), 'DEZKY_ALREADY_EXISTS')
  assert.equal(e.name, 'DezkyError')
  assert.equal(d.memoryDomains().length, 2)
})

test('DKIM keys that never appear are DEZKY_TIMEOUT, and the domain is removed', async () => {
  const d = Domains.inMemory()
  d.dkimAfter(1000)
  const e = await assertCode(() => d.addDomain(tenant(), 'slow.acme.test', caller()), 'DEZKY_TIMEOUT')
  assert.equal(e.failure.step, 'dkim')
  assert.deepEqual(names(d), [])
  assert.equal(d.sleeps().reduce((a, b) => a + b, 0), 30_000)
})

test('a fault at each step of addDomain leaves nothing behind, and a retry leaves one domain', async () => {
  const cases = [
    ['find_domain', (d) => d.failNext('findDomain', 'DEZKY_UPSTREAM_UNAVAILABLE', 1500)],
    ['create_domain', (d) => d.failNext('createDomain', 'DEZKY_UPSTREAM_UNAVAILABLE', 1500)],
    ['create_domain', (d) => d.loseNextReply('createDomain', 'DEZKY_UPSTREAM_UNAVAILABLE', 1500)],
    ['dkim', (d) => d.failNext('dkimSelectors', 'DEZKY_UPSTREAM_UNAVAILABLE', 1500)],
    ['zone_file', (d) => d.failNext('zoneFile', 'DEZKY_UPSTREAM_UNAVAILABLE', 1500)],
    ['zone_file', (d) => d.loseNextReply('zoneFile', 'DEZKY_UPSTREAM_UNAVAILABLE', 1500)],
  ]
  for (const [step, fault] of cases) {
    const d = Domains.inMemory()
    fault(d)
    const e = await assertCode(
      () => d.addDomain(tenant(), 'mail.acme.test', caller()),
      'DEZKY_UPSTREAM_UNAVAILABLE',
      { retryAfterMs: 1500 },
    )
    assert.equal(e.failure.step, step)
    assert.equal(e.failure.action, 'domain.add')
    assert.equal(e.failure.leftBehind, false, step)
    assert.equal(e.failure.events[0].outcome, 'failure')
    assert.equal(e.failure.events[0].metadata.failed, step)
    assert.deepEqual(names(d), [], `${step}: left ${names(d)}`)
    await d.addDomain(tenant(), 'mail.acme.test', caller())
    assert.deepEqual(names(d), ['mail.acme.test'], step)
  }
})

test('a failed cleanup is reported with the original error', async () => {
  const d = Domains.inMemory()
  d.failNext('zoneFile', 'DEZKY_UPSTREAM_UNAVAILABLE')
  d.failNext('removeDomain', 'DEZKY_TIMEOUT')
  const e = await assertCode(() => d.addDomain(tenant(), 'mail.acme.test', caller()), 'DEZKY_UPSTREAM_UNAVAILABLE')
  assert.equal(e.failure.leftBehind, true)
  assert.equal(e.failure.undone[0].what, 'domain')
  assert.equal(e.failure.undone[0].error.code, 'DEZKY_TIMEOUT')
  assert.deepEqual(names(d), ['mail.acme.test'])
})

test('refusals and bad input name the field', async () => {
  const d = Domains.inMemory()
  await assertCode(() => d.addDomain(tenant(), 'mail.acme.test', caller(MEMBER)), 'DEZKY_FORBIDDEN')
  await assertCode(() => d.addDomain(tenant('suspended'), 'mail.acme.test', caller()), 'DEZKY_TENANT_INACTIVE')
  for (const bad of ['nodot', 'bad_label.test', '-x.test', '']) {
    await assertCode(() => d.addDomain(tenant(), bad, caller()), 'DEZKY_INVALID_ARGUMENT', { field: 'domain.name' })
  }
  await assertCode(() => d.addDomain({ ...tenant(), status: 'gone' }, 'a.test', caller()), 'DEZKY_INVALID_ARGUMENT', {
    field: 'tenant.status',
  })
  await assertCode(() => d.addDomain(tenant(), 'a.test', { ...caller(), role: 'x' }), 'DEZKY_INVALID_ARGUMENT', {
    field: 'caller.role',
  })
  await assertCode(() => d.addDomain(tenant(), 'a.test', { user: ADMIN, actor: { surface: 'portal' } }), 'DEZKY_INVALID_ARGUMENT', {
    field: 'caller.actor',
  })
  await assertCode(() => d.addDomain(tenant(), 'a.test', { ...caller(), at: -1 }), 'DEZKY_INVALID_ARGUMENT', {
    field: 'caller.at',
  })
  await assertCode(() => d.addDomain(tenant(), 42, caller()), 'DEZKY_INVALID_ARGUMENT')
  assert.equal(d.calls('createDomain'), 0)
  assert.deepEqual(names(d), [])
  // Faults and counts only on the in-memory server, and only known operations and codes.
  assert.throws(() => d.failNext('explode', 'DEZKY_TIMEOUT'), (e) => e.code === 'DEZKY_INVALID_ARGUMENT' && e.field === 'op')
  assert.throws(() => d.failNext('zoneFile', 'NOPE'), (e) => e.code === 'DEZKY_INVALID_ARGUMENT' && e.field === 'code')
})

test('verifyDomain rebuilds the records and checks them; unanswered DNS leaves it pending', async () => {
  const d = Domains.inMemory()
  const { doc } = await added(d, 'mail.acme.test')
  // A nameserver that answers nothing: every check is unknown, the status stays pending.
  const check = await d.verifyDomain(tenant(), doc, caller(MEMBER), {
    nameservers: ['127.0.0.1'],
    port: 9,
    timeoutMs: 200,
    attempts: 1,
  })
  assert.equal(check.status, 'pending')
  assert.equal(check.report.domain, 'mail.acme.test.')
  assert.ok(check.report.checks.length > 0)
  assert.equal(check.patch.update.$set.status, 'pending')
  assert.equal(check.patch.update.$set.lastCheckedAt, '2023-11-14T22:13:20.000Z')
  assert.equal(check.events[0].action, 'domain.verify')
  await assertCode(() => d.verifyDomain(tenant(), doc, caller(), { nameserver: ['127.0.0.1'] }), 'DEZKY_INVALID_ARGUMENT', {
    field: 'resolver.nameserver',
  })
  await assertCode(() => d.verifyDomain(tenant(), doc, caller(), { nameservers: ['nope'] }), 'DEZKY_INVALID_ARGUMENT', {
    field: 'resolver.nameservers',
  })
  await assertCode(() => d.verifyDomain(tenant(), doc, caller(), { attempts: 300 }), 'DEZKY_INVALID_ARGUMENT', {
    field: 'resolver',
  })
  await assertCode(() => d.verifyDomain(tenant(), doc, caller(), { attempts: 11 }), 'DEZKY_INVALID_ARGUMENT', {
    field: 'resolver.attempts',
  })
  await assertCode(() => d.verifyDomain(tenant(), { ...doc, status: 'done' }, caller()), 'DEZKY_INVALID_ARGUMENT', {
    field: 'domain.status',
  })

  const expected = await d.expectedRecords(doc)
  assert.equal(expected.checks.at(-1).kind, 'ownership')
  d.failNext('zoneFile', 'DEZKY_RATE_LIMITED', 2000)
  await assertCode(() => d.expectedRecords(doc), 'DEZKY_RATE_LIMITED', { retryAfterMs: 2000 })
})

test('listDomains and setDmarc, with the policy checked field by field', async () => {
  const d = Domains.inMemory()
  const { doc } = await added(d, 'mail.acme.test')
  const t = tenant('active', ['acme.test', 'mail.acme.test'])
  const primary = { ...doc, name: 'acme.test', _id: '6650f1c2a9b4e3d2c1b0d004' }
  const list = d.listDomains(t, [doc, primary], caller(MEMBER))
  assert.deepEqual(
    list.map((x) => [x.name, x.primary, x.status, x.customDmarc]).sort(),
    [
      ['acme.test', true, 'pending', false],
      ['mail.acme.test', false, 'pending', false],
    ],
  )
  assert.throws(() => d.listDomains(t, [doc, 3], caller()), (e) => e.code === 'DEZKY_INVALID_ARGUMENT' && e.field === 'domains[1]')

  const change = d.setDmarc(t, doc, { p: 'quarantine', pct: 50, rua: ['mailto:dmarc@acme.test'] }, caller())
  assert.equal(change.action, 'domain.set_dmarc')
  assert.equal(change.patch.update.$set.dmarc, 'v=DMARC1; p=quarantine; pct=50; rua=mailto:dmarc@acme.test')
  assert.equal(dmarcRecord({ p: 'reject', adkim: 's' }), 'v=DMARC1; p=reject; adkim=s')
  const bad = [
    [{ p: 'maybe' }, 'dmarc.p'],
    [{ p: 'none', pct: 101 }, 'dmarc.pct'],
    [{ p: 'none', rua: ['https://x.test'] }, 'dmarc.rua[0]'],
    [{ p: 'none', aspf: 'x' }, 'dmarc.aspf'],
    [{ p: 'none', fo: '1' }, 'dmarc.fo'],
  ]
  for (const [policy, field] of bad) {
    assert.throws(() => d.setDmarc(t, doc, policy, caller()), (e) => e.code === 'DEZKY_INVALID_ARGUMENT' && e.field === field, field)
    assert.throws(() => dmarcRecord(policy), (e) => e.field === field, field)
  }
  assert.throws(() => d.setDmarc(t, doc, { p: 'none' }, caller(MEMBER)), (e) => e.code === 'DEZKY_FORBIDDEN')
  const cleared = d.setDmarc(t, { ...doc, dmarc: 'v=DMARC1; p=none' }, null, caller())
  assert.ok('dmarc' in cleared.patch.update.$unset)
})

test('removeDomain: the primary domain and a domain with mailboxes are in use; a retry after a fault removes it', async () => {
  const d = Domains.inMemory()
  const { doc } = await added(d, 'shop.acme.test')
  const t = tenant('active', ['acme.test', 'shop.acme.test'])
  const primary = { ...doc, name: 'acme.test' }
  const e = await assertCode(() => d.removeDomain(t, primary, caller()), 'DEZKY_IN_USE')
  assert.deepEqual(e.linked, [])
  const bob = d.insertMemoryMailbox('bob@shop.acme.test')
  const inUse = await assertCode(() => d.removeDomain(t, doc, caller()), 'DEZKY_IN_USE')
  assert.deepEqual(inUse.linked, [`Account/${bob}`])
  assert.deepEqual(names(d), ['shop.acme.test'])

  const d2 = Domains.inMemory()
  const { doc: doc2 } = await added(d2, 'shop.acme.test')
  d2.failNext('removeDomain', 'DEZKY_UPSTREAM_UNAVAILABLE')
  await assertCode(() => d2.removeDomain(t, doc2, caller()), 'DEZKY_UPSTREAM_UNAVAILABLE')
  assert.deepEqual(names(d2), ['shop.acme.test'])
  const removed = await d2.removeDomain(t, doc2, caller())
  assert.deepEqual(names(d2), [])
  assert.deepEqual(removed.tenantPatch.update.$set.domains, ['acme.test'])
  assert.deepEqual(removed.deleteFilter, { _id: { $oid: DOMAIN_ID } })
  assert.equal(removed.events[0].action, 'domain.remove')
  // Gone already: removed from the tenant all the same.
  await d2.removeDomain(t, doc2, caller())
  await assertCode(() => d2.removeDomain(t, doc2, caller(MEMBER)), 'DEZKY_FORBIDDEN')
})

test('aliases, quotas and mailing lists', async () => {
  const d = Domains.inMemory()
  d.insertMemoryDomain('acme.test', TENANT)
  const handle = d.insertMemoryMailbox('bob@acme.test')
  const bob = {
    _id: BOB_ID,
    authentikSubjectId: 'sub-bob',
    email: 'bob@acme.test',
    tenantIds: [TENANT],
    mailboxes: { [TENANT]: { id: handle, address: 'bob@acme.test' } },
  }
  const alias = await d.addAlias(tenant(), bob, 'Sales@acme.test', caller())
  assert.equal(alias.action, 'mailbox.alias_add')
  assert.equal(alias.events[0].metadata.alias, 'sales@acme.test')
  await d.addAlias(tenant(), bob, 'sales@acme.test', caller())
  assert.equal(d.calls('addAlias') >= 1, true)
  await assertCode(() => d.addAlias(tenant(), bob, 'sales@other.test', caller()), 'DEZKY_INVALID_ARGUMENT', {
    field: 'alias.address',
  })
  await assertCode(() => d.addAlias(tenant(), { ...bob, mailboxes: {} }, 'x@acme.test', caller()), 'DEZKY_INVALID_ARGUMENT', {
    field: 'member.mailboxes',
  })
  const removedAlias = await d.removeAlias(tenant(), bob, 'sales@acme.test', caller())
  assert.equal(removedAlias.action, 'mailbox.alias_remove')

  const quota = await d.setQuota(tenant(), bob, 1 << 30, caller())
  assert.equal(quota.action, 'mailbox.quota')
  await d.setQuota(tenant(), bob, null, caller())
  await assertCode(() => d.setQuota(tenant(), bob, 0, caller()), 'DEZKY_INVALID_ARGUMENT', { field: 'mailbox.quotaBytes' })
  await assertCode(() => d.setQuota(tenant(), bob, 1.5, caller()), 'DEZKY_INVALID_ARGUMENT', { field: 'mailbox.quotaBytes' })

  const created = await d.createList(tenant(), 'team@acme.test', ['bob@acme.test'], caller())
  assert.equal(created.action, 'mailing_list.create')
  assert.equal(created.list.address, 'team@acme.test')
  await assertCode(() => d.createList(tenant(), 'team@acme.test', [], caller()), 'DEZKY_ALREADY_EXISTS')
  await assertCode(() => d.createList(tenant(), 'x@acme.test', ['not an address'], caller()), 'DEZKY_INVALID_ARGUMENT', {
    field: 'list.recipients[0]',
  })
  const members = await d.setListMembers(tenant(), 'team@acme.test', ['ann@acme.test'], ['bob@acme.test'], caller())
  assert.deepEqual(members.list.recipients, ['ann@acme.test'])
  assert.deepEqual(d.memoryLists()[0].recipients, ['ann@acme.test'])
  // A list whose create answer is lost is removed again.
  d.loseNextReply('createList', 'DEZKY_UPSTREAM_UNAVAILABLE')
  await assertCode(() => d.createList(tenant(), 'ops@acme.test', [], caller()), 'DEZKY_UPSTREAM_UNAVAILABLE')
  assert.deepEqual(d.memoryLists().map((l) => l.address), ['team@acme.test'])
  const deleted = await d.deleteList(tenant(), 'team@acme.test', caller())
  assert.equal(deleted.action, 'mailing_list.delete')
  assert.deepEqual(d.memoryLists(), [])
  await d.deleteList(tenant(), 'team@acme.test', caller())
})

test('fromEnv with a broken Stalwart setting is DEZKY_CONFIG', () => {
  const saved = process.env.STALWART_API_URL
  process.env.STALWART_API_URL = 'not a url'
  try {
    assert.throws(() => Domains.fromEnv(), (e) => e.code === 'DEZKY_CONFIG')
  } finally {
    if (saved === undefined) delete process.env.STALWART_API_URL
    else process.env.STALWART_API_URL = saved
  }
})
