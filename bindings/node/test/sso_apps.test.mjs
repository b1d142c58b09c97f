// A tenant's SSO apps through the in-memory identity provider of dezky-core
// (the rules are the core's: dezky-core/tests/sso_apps.rs): the listing of
// the apps bound to the tenant's group, the composite delete with a fault
// at each step followed by a run that resumes and leaves nothing, the
// repeat-safe delete, and the refusals naming the field.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { SsoApps, assertCode, TENANT } from '../__test__/helpers.mjs'

const GROUP = '6a3c2e1f-0c4b-4a5e-9d62-000000000001'
const OTHER_GROUP = '6a3c2e1f-0c4b-4a5e-9d62-000000000002'
const ADMIN_ID = '6650f1c2a9b4e3d2c1b0a001'
const AT = 1_700_000_000_000

const tenant = (group = GROUP) => ({
  _id: TENANT,
  slug: 'acme',
  name: 'Acme Co',
  status: 'active',
  plan: 'business',
  domains: ['acme.test'],
  authentikGroupId: group,
  __v: 4,
})
const user = (role) => ({
  _id: ADMIN_ID,
  authentikSubjectId: 'sub-admin',
  email: 'admin@acme.test',
  tenantIds: [TENANT],
  tenantRoles: { [TENANT]: role },
})
const caller = (role = 'admin') => ({
  actor: { subject: 'sub-admin', surface: 'portal', email: 'admin@acme.test' },
  user: user(role),
  at: AT,
})

/** The record the control plane keeps of an app the identity provider holds. */
const record = (app, tenantId = TENANT) => ({
  _id: '6650f1c2a9b4e3d2c1b0e001',
  tenantId,
  name: 'Wiki',
  slug: app.slug,
  applicationPk: app.pk,
  providerPk: app.provider,
  clientId: 'client-wiki',
  issuer: `https://id.dezky.local/application/o/${app.slug}/`,
  redirectUris: ['https://wiki.acme.test/callback'],
})

test('listApps lists the apps bound to the tenant group, by slug', async () => {
  const sso = SsoApps.inMemory()
  sso.insertMemoryApp('wiki', GROUP)
  sso.insertMemoryApp('chat', GROUP)
  sso.insertMemoryApp('hr', OTHER_GROUP)
  sso.insertMemoryApp('unbound')
  const apps = await sso.listApps(tenant(), caller())
  assert.deepEqual(
    apps.map((a) => a.application.slug),
    ['chat', 'wiki'],
  )
  assert.ok(apps.every((a) => a.bindingPk.length > 0))
  await assertCode(() => sso.listApps(tenant(), caller('member')), 'DEZKY_FORBIDDEN')
  await assertCode(() => sso.listApps(tenant(null), caller()), 'DEZKY_INVALID_ARGUMENT', {
    field: 'tenant.authentikGroupId',
  })
  sso.failNext('applications', 'DEZKY_RATE_LIMITED', 3000)
  await assertCode(() => sso.listApps(tenant(), caller()), 'DEZKY_RATE_LIMITED', { retryAfterMs: 3000 })
})

test('deleteApp removes the bindings, the application and the provider; again, every step is absent', async () => {
  const sso = SsoApps.inMemory()
  const app = sso.insertMemoryApp('wiki', GROUP)
  const deleted = await sso.deleteApp(tenant(), record(app), caller())
  assert.deepEqual(
    deleted.steps.map((s) => s.outcome),
    deleted.steps.map(() => 'removed'),
  )
  assert.deepEqual(sso.memoryCounts(), { applications: 0, providers: 0, bindings: 0 })
  assert.deepEqual(deleted.deleteFilter, { _id: { $oid: '6650f1c2a9b4e3d2c1b0e001' } })
  assert.equal(deleted.events[0].action, 'sso_app.delete')
  const again = await sso.deleteApp(tenant(), record(app), caller())
  assert.ok(again.steps.length > 0)
  assert.ok(again.steps.every((s) => s.outcome === 'absent'))
})

test('a fault at each delete step stops there; a second run resumes and leaves nothing', async () => {
  for (const op of ['application', 'bindings', 'deleteBinding', 'deleteApplication', 'deleteProvider']) {
    for (const mode of ['failNext', 'loseNextReply']) {
      const sso = SsoApps.inMemory()
      const app = sso.insertMemoryApp('wiki', GROUP)
      sso[mode](op, 'DEZKY_UPSTREAM_UNAVAILABLE', 500)
      const e = await assertCode(() => sso.deleteApp(tenant(), record(app), caller()), 'DEZKY_UPSTREAM_UNAVAILABLE', {
        retryAfterMs: 500,
      })
      assert.equal(e.failure.action, 'sso_app.delete')
      assert.equal(e.failure.events[0].outcome, 'failure', `${op} ${mode}`)
      const failed = e.failure.steps.filter((s) => s.outcome === 'failed')
      if (op !== 'application' && op !== 'bindings') assert.equal(failed.length, 1, `${op} ${mode}`)
      await sso.deleteApp(tenant(), record(app), caller())
      assert.deepEqual(sso.memoryCounts(), { applications: 0, providers: 0, bindings: 0 }, `${op} ${mode}`)
    }
  }
})

test('deleteApp refuses another tenant record, an app the record did not make, and bad records', async () => {
  const sso = SsoApps.inMemory()
  const app = sso.insertMemoryApp('wiki', GROUP)
  await assertCode(() => sso.deleteApp(tenant(), record(app, '6650f1c2a9b4e3d2c1b0afff'), caller()), 'DEZKY_INVALID_ARGUMENT', {
    field: 'ssoApp.tenantId',
  })
  await assertCode(() => sso.deleteApp(tenant(), { ...record(app), providerPk: 999 }, caller()), 'DEZKY_INVALID_ARGUMENT', {
    field: 'ssoApp.providerPk',
  })
  await assertCode(() => sso.deleteApp(tenant(), { ...record(app), clientSecret: 's3cret' }, caller()), 'DEZKY_INVALID_ARGUMENT', {
    field: 'ssoApp.clientSecret',
  })
  await assertCode(() => sso.deleteApp(tenant(), record(app), caller('member')), 'DEZKY_FORBIDDEN')
  assert.deepEqual(sso.memoryCounts(), { applications: 1, providers: 1, bindings: 1 })
  assert.equal(sso.calls('deleteApplication'), 0)
  assert.throws(() => sso.failNext('nope', 'DEZKY_TIMEOUT'), (e) => e.code === 'DEZKY_INVALID_ARGUMENT' && e.field === 'op')
})

test('fromEnv with a broken Authentik setting is DEZKY_CONFIG', () => {
  const saved = process.env.AUTHENTIK_API_URL
  process.env.AUTHENTIK_API_URL = 'not a url'
  try {
    assert.throws(() => SsoApps.fromEnv(), (e) => e.code === 'DEZKY_CONFIG')
  } finally {
    if (saved === undefined) delete process.env.AUTHENTIK_API_URL
    else process.env.AUTHENTIK_API_URL = saved
  }
})
