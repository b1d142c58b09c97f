// Tenant lifecycle and provisioning through the in-memory upstreams of
// dezky-core (the rules are the core's: dezky-core/tests/provisioning.rs):
// provision, drift, suspend and resume, deprovision, the status machine and the
// version guard, bad input, bulk runs and the provisioner from the environment.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import {
  Provisioner,
  applyTenantPatch,
  assertCode,
  newTenant,
  parseTenantSlug,
  transitionTenant,
  TENANT,
} from '../__test__/helpers.mjs'

const ACTOR = 'ops@dezky.eu'
/** 2023-11-14T22:13:20.000Z */
const AT = 1_700_000_000_000
const STEPS = ['authentik', 'stalwart', 'ocis', 'stripe', 'onboarding']

function acme() {
  return { ...newTenant(TENANT, 'acme', 'Acme Co', 'business'), domains: ['acme.test'] }
}

const byStep = (steps) => Object.fromEntries(steps.map((s) => [s.step, s]))

/** A provisioner and Acme provisioned and active. */
async function provisioned() {
  const p = Provisioner.inMemory()
  const report = await p.provision(acme(), ACTOR, AT)
  return { p, tenant: applyTenantPatch(acme(), report.patch) }
}

test('newTenant is the pending document POST /tenants stores', () => {
  const doc = newTenant(TENANT, 'acme', 'Acme Co', 'business')
  assert.deepEqual(doc, {
    _id: TENANT,
    slug: 'acme',
    name: 'Acme Co',
    status: 'pending',
    plan: 'business',
    domains: [],
    provisioningStatus: {},
    __v: 0,
  })
  assert.equal(parseTenantSlug('nordic-it'), 'nordic-it')
})

test('provisioning a new tenant creates each resource, then a reconcile is clean', async () => {
  const p = Provisioner.inMemory()
  const report = await p.provision(acme(), ACTOR, AT)
  assert.equal(report.tenantId, TENANT)
  assert.equal(report.slug, 'acme')
  assert.equal(report.dryRun, false)
  assert.equal(report.activated, true)
  const steps = byStep(report.steps)
  assert.deepEqual(Object.keys(steps).sort(), [...STEPS].sort())
  for (const step of ['authentik', 'stalwart', 'ocis', 'stripe']) {
    assert.equal(steps[step].state, 'ok', step)
    assert.equal(steps[step].drift, 'created', step)
    assert.equal(typeof steps[step].handle, 'string', step)
    assert.equal(steps[step].code, null)
    assert.equal(steps[step].retryAfterMs, null)
  }
  // No contact email: onboarding does not apply.
  assert.equal(steps.onboarding.state, 'skipped')
  assert.equal(steps.onboarding.drift, 'skipped')
  assert.equal(typeof steps.onboarding.message, 'string')
  assert.equal(steps.stalwart.handle, 'acme.test')
  assert.match(steps.stripe.handle, /^cus_/)

  assert.deepEqual(
    report.events.map((e) => [e.action, e.outcome]),
    [
      ['tenant.provision', 'success'],
      ['tenant.activate', 'success'],
    ],
  )
  for (const event of report.events) {
    assert.equal(event.actorEmail, ACTOR)
    assert.equal(event.at, '2023-11-14T22:13:20.000Z')
    assert.equal(event.targetType, 'tenant')
    assert.equal(event.targetId, 'acme')
    assert.equal(event.tenantId, TENANT)
  }

  const { patch } = report
  assert.equal(patch.tenantId, TENANT)
  assert.equal(patch.expectedVersion, 0)
  assert.deepEqual(patch.filter, { _id: { $oid: TENANT }, __v: 0 })
  assert.deepEqual(patch.update.$inc, { __v: 1 })
  assert.equal(patch.update.$set.status, 'active')
  assert.equal(patch.update.$set['provisioningStatus.ocis'], 'ok')
  assert.equal(patch.update.$set.ocisSpaceId, steps.ocis.handle)

  const tenant = applyTenantPatch(acme(), patch)
  assert.equal(tenant.status, 'active')
  assert.equal(tenant.__v, 1)
  assert.equal(tenant.authentikGroupId, steps.authentik.handle)
  assert.equal(tenant.stripeCustomerId, steps.stripe.handle)
  assert.deepEqual(tenant.provisioningStatus, {
    authentik: 'ok',
    stalwart: 'ok',
    ocis: 'ok',
    stripe: 'ok',
    onboarding: 'skipped',
  })
  assert.deepEqual(p.memoryResources('authentik'), [
    { handle: steps.authentik.handle, name: 'acme', owner: TENANT, suspended: false },
  ])

  const again = await p.reconcile(tenant, ACTOR)
  assert.ok(again.steps.every((s) => s.drift === 'in_sync' || s.drift === 'skipped'))
  assert.equal(again.activated, false)
  assert.equal(again.patch.update, null)
  assert.equal(again.patch.expectedVersion, 1)
  assert.deepEqual(
    again.events.map((e) => [e.action, e.outcome]),
    [['tenant.reconcile', 'success']],
  )
  for (const step of STEPS) assert.ok(p.memoryResources(step).length <= 1, step)
})

test('documents from the MongoDB driver are read: ObjectIds by toHexString()', async () => {
  class ObjectId {
    constructor(hex) {
      this.buffer = Buffer.from(hex, 'hex')
    }
    toHexString() {
      return this.buffer.toString('hex')
    }
  }
  const { p, tenant } = await provisioned()
  const stored = { ...tenant, _id: new ObjectId(TENANT), partnerId: new ObjectId('6650f1c2a9b4e3d2c1b0a001') }
  const report = await p.reconcile(stored, ACTOR)
  assert.equal(report.tenantId, TENANT)
  assert.ok(report.steps.every((s) => s.drift === 'in_sync' || s.drift === 'skipped'))
  const moved = applyTenantPatch(stored, transitionTenant(stored, 'suspend', ACTOR).patch)
  assert.equal(moved._id, TENANT)
  assert.equal(moved.partnerId, '6650f1c2a9b4e3d2c1b0a001')
})

test('provision is for pending tenants only', async () => {
  const { p, tenant } = await provisioned()
  await assertCode(() => p.provision(tenant, ACTOR), 'DEZKY_ILLEGAL_TRANSITION', {
    fromStatus: 'active',
    action: 'provision',
  })
})

test('a switched-off step is skipped and its upstream left alone', async () => {
  const p = Provisioner.inMemory().disable('stripe')
  const report = await p.provision(acme(), ACTOR, AT)
  assert.equal(byStep(report.steps).stripe.state, 'skipped')
  assert.equal(report.activated, true)
  assert.deepEqual(p.memoryResources('stripe'), [])
  assert.equal(p.memoryResources('ocis').length, 1)
})

test('drift: a dry run reports a lost resource without writing, a reconcile repairs it', async () => {
  const { p, tenant } = await provisioned()
  assert.equal(p.deleteMemoryResource('ocis', tenant.ocisSpaceId), true)
  assert.equal(p.deleteMemoryResource('ocis', tenant.ocisSpaceId), false)

  const dry = await p.reconcile(tenant, ACTOR, { dryRun: true })
  assert.equal(dry.dryRun, true)
  assert.equal(byStep(dry.steps).ocis.drift, 'missing')
  assert.equal(byStep(dry.steps).authentik.drift, 'in_sync')
  assert.equal(dry.patch.update, null)
  assert.deepEqual(dry.events, [])
  assert.deepEqual(p.memoryResources('ocis'), [])

  const fixed = await p.reconcile(tenant, ACTOR)
  const ocis = byStep(fixed.steps).ocis
  assert.equal(ocis.drift, 'repaired')
  assert.equal(ocis.state, 'ok')
  assert.notEqual(ocis.handle, tenant.ocisSpaceId)
  assert.equal(fixed.patch.update.$set.ocisSpaceId, ocis.handle)
  const after = applyTenantPatch(tenant, fixed.patch)
  assert.equal(after.ocisSpaceId, ocis.handle)
  assert.deepEqual(
    p.memoryResources('ocis').map((r) => [r.handle, r.owner]),
    [[ocis.handle, TENANT]],
  )
})

test('suspend and resume change the status and the upstream resources, and restore them', async () => {
  const { p, tenant } = await provisioned()
  const suspended = await p.suspend(tenant, ACTOR, AT)
  assert.equal(suspended.action, 'suspend')
  assert.equal(suspended.fromStatus, 'active')
  assert.equal(suspended.toStatus, 'suspended')
  assert.deepEqual(suspended.steps.map((s) => [s.step, s.state]).sort(), [
    ['authentik', 'ok'],
    ['stalwart', 'ok'],
  ])
  assert.equal(suspended.patch.update.$set.status, 'suspended')
  assert.equal(suspended.patch.update.$set.suspendedAt, '2023-11-14T22:13:20.000Z')
  assert.equal(suspended.events[0].action, 'tenant.suspend')
  assert.equal(p.memoryResources('authentik')[0].suspended, true)
  assert.equal(p.memoryResources('stalwart')[0].suspended, true)

  const during = applyTenantPatch(tenant, suspended.patch)
  assert.equal(during.status, 'suspended')
  assert.deepEqual(Object.keys(during.suspension).sort(), ['authentik', 'stalwart'])

  const resumed = await p.resume(during, ACTOR, AT)
  assert.equal(resumed.action, 'resume')
  assert.equal(resumed.fromStatus, 'suspended')
  assert.equal(resumed.toStatus, 'active')
  assert.equal(resumed.events[0].action, 'tenant.resume')
  assert.equal(p.memoryResources('authentik')[0].suspended, false)
  assert.equal(p.memoryResources('stalwart')[0].suspended, false)
  const active = applyTenantPatch(during, resumed.patch)
  assert.equal(active.status, 'active')
  assert.equal(active.suspendedAt, undefined)
  assert.equal(active.suspension, undefined)

  await assertCode(() => p.resume(active, ACTOR), 'DEZKY_ILLEGAL_TRANSITION', {
    fromStatus: 'active',
    action: 'resume',
  })
})

test('a deleted tenant is deprovisioned: its resources are gone and deprovisionedAt set', async () => {
  const { p, tenant } = await provisioned()
  await assertCode(() => p.deprovision(tenant, ACTOR), 'DEZKY_ILLEGAL_TRANSITION', {
    fromStatus: 'active',
    action: 'deprovision',
  })
  const deletion = transitionTenant(tenant, 'delete', ACTOR, AT)
  assert.equal(deletion.action, 'delete')
  assert.equal(deletion.fromStatus, 'active')
  assert.equal(deletion.toStatus, 'deleted')
  assert.equal(deletion.event.action, 'tenant.delete')
  assert.deepEqual(deletion.event.metadata, { from: 'active', to: 'deleted' })
  assert.deepEqual(deletion.patch.update.$set, { status: 'deleted', deletedAt: '2023-11-14T22:13:20.000Z' })
  const deleted = applyTenantPatch(tenant, deletion.patch)
  assert.equal(deleted.status, 'deleted')
  await assertCode(() => p.reconcile(deleted, ACTOR), 'DEZKY_ILLEGAL_TRANSITION', {
    fromStatus: 'deleted',
    action: 'reconcile',
  })

  const report = await p.deprovision(deleted, ACTOR, AT)
  assert.equal(report.complete, true)
  assert.deepEqual(
    report.steps.map((s) => [s.step, s.removal]),
    [
      ['onboarding', 'absent'],
      ['stripe', 'removed'],
      ['ocis', 'removed'],
      ['stalwart', 'removed'],
      ['authentik', 'removed'],
    ],
  )
  assert.equal(report.events.at(-1).action, 'tenant.deprovision')
  for (const step of STEPS) assert.deepEqual(p.memoryResources(step), [], step)
  const gone = applyTenantPatch(deleted, report.patch)
  assert.equal(gone.deprovisionedAt, '2023-11-14T22:13:20.000Z')
  assert.equal(gone.authentikGroupId, undefined)
  assert.equal(gone.ocisSpaceId, undefined)
})

test('an action the status machine refuses is DEZKY_ILLEGAL_TRANSITION with its details', async () => {
  const pending = acme()
  for (const [action, from] of [
    ['resume', 'pending'],
    ['suspend', 'pending'],
    ['deprovision', 'pending'],
  ]) {
    const e = await assertCode(() => transitionTenant(pending, action, ACTOR), 'DEZKY_ILLEGAL_TRANSITION', {
      fromStatus: from,
      action,
    })
    assert.equal(e.message, `cannot ${action} a tenant that is ${from}`)
  }
  await assertCode(() => Provisioner.inMemory().suspend(pending, ACTOR), 'DEZKY_ILLEGAL_TRANSITION', {
    fromStatus: 'pending',
    action: 'suspend',
  })
  // Activation needs every step settled: a rule on the document, not the pair.
  await assertCode(() => transitionTenant(pending, 'activate', ACTOR), 'DEZKY_INVALID_ARGUMENT', {
    field: 'tenant.provisioningStatus',
  })
})

test('a patch made from another version of the document is DEZKY_VERSION_CONFLICT', async () => {
  const p = Provisioner.inMemory()
  const first = await p.provision(acme(), ACTOR)
  const stale = await p.provision(acme(), ACTOR)
  const tenant = applyTenantPatch(acme(), first.patch)
  await assertCode(() => applyTenantPatch(tenant, stale.patch), 'DEZKY_VERSION_CONFLICT', {
    tenant: TENANT,
    expectedVersion: 0,
  })
  // The second run found and adopted what the first made: one resource each.
  for (const step of ['authentik', 'stalwart', 'ocis', 'stripe']) {
    assert.equal(p.memoryResources(step).length, 1, step)
  }
})

test('bad input is DEZKY_INVALID_ARGUMENT naming the field, never a crash', async () => {
  const p = Provisioner.inMemory()
  const tenant = acme()
  const invalid = (fn, details) => assertCode(fn, 'DEZKY_INVALID_ARGUMENT', details)

  // Tenant documents, read whole by the core.
  for (const [doc, field] of [
    [42, 'tenant'],
    [null, 'tenant'],
    [[tenant], 'tenant'],
    ['{"slug": "acme"}', 'tenant'],
    [{ ...tenant, status: 'paused' }, 'tenant.status'],
    [{ slug: 'acme', status: 'pending' }, 'tenant.id'],
    [{ ...tenant, status: undefined }, 'tenant.status'],
    [{ ...tenant, domains: 'acme.test' }, 'tenant.domains'],
    [{ ...tenant, domains: ['acme.test', 7] }, 'tenant.domains[1]'],
    [{ ...tenant, __v: -1 }, 'tenant.__v'],
    [{ ...tenant, provisioningStatus: { ocis: 'done' } }, 'tenant.provisioningStatus.ocis'],
    [{ ...tenant, extra: 10n }, 'tenant.extra'],
  ]) {
    await invalid(() => p.reconcile(doc, ACTOR), { field })
    await invalid(() => p.provision(doc, ACTOR), { field })
    await invalid(() => transitionTenant(doc, 'delete', ACTOR), { field })
  }
  // What upstream names and markers need, checked before any upstream call.
  for (const [doc, field] of [
    [{ ...tenant, slug: 'acme.io' }, 'tenant.slug'],
    [{ ...tenant, _id: 'tenant-1' }, 'tenant.id'],
  ]) {
    await invalid(() => p.reconcile(doc, ACTOR), { field })
    await invalid(() => p.provision(doc, ACTOR), { field })
  }
  // Nothing reached an upstream.
  for (const step of STEPS) assert.deepEqual(p.memoryResources(step), [])

  // Arguments of the wrong type or out of their domain.
  await invalid(() => p.provision(tenant, 42), { argument: 'actor' })
  await invalid(() => p.provision(tenant, ' '), { argument: 'actor' })
  await invalid(() => p.provision(tenant, ACTOR, 'now'), { argument: 'at' })
  await invalid(() => p.provision(tenant, ACTOR, -1), { argument: 'at' })
  await invalid(() => p.provision(tenant, ACTOR, 1e300), { argument: 'at' })
  await invalid(() => p.reconcile(tenant, ACTOR, { dryrun: true }), { field: 'options' })
  await invalid(() => p.reconcile(tenant, ACTOR, { dryRun: 'yes' }), { field: 'options' })
  await invalid(() => p.reconcile(tenant, ACTOR, 'dry'), { field: 'options' })
  await invalid(() => transitionTenant(tenant, 'explode', ACTOR), { field: 'action' })
  await invalid(() => transitionTenant(tenant, 3, ACTOR), { argument: 'action' })

  // Slugs and new tenants.
  for (const slug of ['Acme', 'dezky', 'dezky-platform-admins', 'a', 'acme-', 'ac--me', '']) {
    await invalid(() => parseTenantSlug(slug), { field: 'slug' })
  }
  await invalid(() => parseTenantSlug(null), { argument: 'slug' })
  await invalid(() => newTenant('tenant-1', 'acme', 'Acme', 'business'), { field: 'tenant.id' })
  await invalid(() => newTenant(TENANT, 'Acme', 'Acme', 'business'), { field: 'tenant.slug' })
  await invalid(() => newTenant(TENANT, 'acme', ' ', 'business'), { field: 'tenant.name' })
  await invalid(() => newTenant(TENANT, 'acme', 'Acme', ''), { field: 'tenant.plan' })
  await invalid(() => newTenant(TENANT, 'acme', 'Acme'), { argument: 'plan' })

  // Patches.
  for (const [patch, field] of [
    [null, 'patch'],
    ['{}', 'patch'],
    [{}, 'patch.tenantId'],
    [{ tenantId: TENANT, expectedVersion: 'one' }, 'patch.expectedVersion'],
    [{ tenantId: TENANT, expectedVersion: 0, update: [] }, 'patch.update'],
    [{ tenantId: TENANT, expectedVersion: 0, update: { $rename: { a: 'b' } } }, 'patch.update.$rename'],
  ]) {
    await invalid(() => applyTenantPatch(tenant, patch), { field })
  }

  // Steps and in-memory helpers.
  await invalid(() => p.disable('mail'), { field: 'step' })
  await invalid(() => p.memoryResources('mail'), { field: 'step' })
  await invalid(() => p.deleteMemoryResource('ocis', 5), { argument: 'handle' })
})

/** `count` new tenants, as an async iterable that records how far it was read. */
function tenants(count, broken = new Set()) {
  const read = { count: 0, closed: false }
  async function* generate() {
    try {
      for (let i = 0; i < count; i++) {
        read.count++
        await Promise.resolve()
        const id = `6650f1c2a9b4e3d2c1b0${i.toString(16).padStart(4, '0')}`
        yield broken.has(i) ? { _id: id, slug: `t-${i}` } : newTenant(id, `t-${i}`, `Tenant ${i}`, 'business')
      }
    } finally {
      read.closed = true
    }
  }
  return { iterable: generate(), read }
}

test('reconcileAll reconciles many tenants: one event each, then the summary', async () => {
  const p = Provisioner.inMemory()
  const { iterable, read } = tenants(200, new Set([7]))
  const events = []
  for await (const event of p.reconcileAll(iterable, ACTOR, { concurrency: 8 })) events.push(event)
  assert.equal(read.count, 200)
  assert.equal(events.length, 201)
  const done = events.at(-1)
  assert.equal(done.kind, 'done')
  assert.deepEqual(done.summary, {
    tenants: 200,
    settled: 199,
    unsettled: 0,
    refused: 1,
    activated: 199,
    errorsByStep: {},
  })
  const reconciled = events.filter((e) => e.kind === 'reconciled')
  assert.equal(reconciled.length, 199)
  assert.equal(new Set(reconciled.map((e) => e.result.tenantId)).size, 199)
  for (const { result } of reconciled) {
    assert.equal(result.activated, true)
    assert.equal(result.patch.update.$set.status, 'active')
    assert.equal(result.events[0].action, 'tenant.reconcile')
  }
  const [refused] = events.filter((e) => e.kind === 'refused')
  assert.equal(refused.index, 7)
  assert.equal(refused.code, 'DEZKY_INVALID_ARGUMENT')
  assert.match(refused.message, /tenant\.status/)
  assert.equal(p.memoryResources('authentik').length, 199)

  // A plain iterable works too, and a dry run writes nothing.
  const dry = []
  const docs = reconciled.slice(0, 5).map(({ result }) => {
    const id = result.tenantId
    return { _id: id, slug: result.slug, status: 'active', __v: 1 }
  })
  for await (const event of p.reconcileAll(docs, ACTOR, { dryRun: true })) dry.push(event)
  assert.equal(dry.length, 6)
  for (const e of dry.slice(0, 5)) {
    assert.equal(e.kind, 'reconciled')
    assert.equal(e.result.dryRun, true)
    assert.equal(e.result.patch.update, null)
  }
})

test('stopping a reconcileAll early cancels the run and stops reading the input', async () => {
  const p = Provisioner.inMemory()
  const { iterable, read } = tenants(200)
  let seen = 0
  for await (const event of p.reconcileAll(iterable, ACTOR, { concurrency: 4 })) {
    assert.equal(event.kind, 'reconciled')
    if (++seen === 3) break
  }
  await new Promise((resolve) => setTimeout(resolve, 50))
  const made = p.memoryResources('authentik').length
  assert.ok(made >= 3 && made < 20, `${made} groups made`)
  assert.ok(read.count < 40, `${read.count} tenants read`)
  assert.equal(read.closed, true)
  await new Promise((resolve) => setTimeout(resolve, 50))
  assert.equal(p.memoryResources('authentik').length, made)
})

test('reconcileAll refuses bad arguments and ends with the error of a failing input', async () => {
  const p = Provisioner.inMemory()
  await assertCode(() => p.reconcileAll(5, ACTOR), 'DEZKY_INVALID_ARGUMENT', { argument: 'tenants' })
  await assertCode(() => p.reconcileAll('acme', ACTOR), 'DEZKY_INVALID_ARGUMENT', { argument: 'tenants' })
  await assertCode(() => p.reconcileAll([], 7), 'DEZKY_INVALID_ARGUMENT', { argument: 'actor' })
  await assertCode(() => p.reconcileAll([], ACTOR, { concurrency: -1 }), 'DEZKY_INVALID_ARGUMENT', {
    field: 'options',
  })
  await assertCode(() => p.reconcileAll([], ACTOR, { parallel: 2 }), 'DEZKY_INVALID_ARGUMENT', {
    field: 'options',
  })

  const failure = new Error('the cursor died')
  async function* failing() {
    yield newTenant(TENANT, 'acme', 'Acme', 'business')
    throw failure
  }
  const events = []
  await assert.rejects(async () => {
    for await (const event of p.reconcileAll(failing(), ACTOR)) events.push(event)
  }, failure)
  // The run was cancelled: no summary claims it complete.
  assert.ok(events.length <= 1 && events.every((e) => e.kind === 'reconciled'), JSON.stringify(events))

  const empty = []
  for await (const event of p.reconcileAll([], ACTOR)) empty.push(event)
  assert.deepEqual(empty, [
    { kind: 'done', summary: { tenants: 0, settled: 0, unsettled: 0, refused: 0, activated: 0, errorsByStep: {} } },
  ])
})

test('fromEnv: a broken setting is DEZKY_CONFIG naming it; no upstream configured skips every step', async () => {
  const names = [
    'AUTHENTIK_API_URL',
    'STALWART_API_URL',
    'OCIS_API_URL',
    'STRIPE_SECRET_KEY',
    'AUTHENTIK_PROVISIONING_ENABLED',
    'STALWART_PROVISIONING_ENABLED',
    'OCIS_PROVISIONING_ENABLED',
    'STRIPE_PROVISIONING_ENABLED',
  ]
  const saved = Object.fromEntries(names.map((n) => [n, process.env[n]]))
  try {
    for (const name of names) delete process.env[name]
    process.env.OCIS_PROVISIONING_ENABLED = 'maybe'
    await assertCode(() => Provisioner.fromEnv(), 'DEZKY_CONFIG', { field: 'OCIS_PROVISIONING_ENABLED' })

    process.env.OCIS_PROVISIONING_ENABLED = 'off'
    const p = Provisioner.fromEnv()
    const report = await p.provision(acme(), ACTOR)
    assert.ok(report.steps.every((s) => s.state === 'skipped'))
    assert.equal(report.activated, true)
    await assertCode(() => p.memoryResources('ocis'), 'DEZKY_INVALID_ARGUMENT', { field: 'provisioner' })
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  }
})
