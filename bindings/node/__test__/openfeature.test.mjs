// The OpenFeature provider, exercised through the OpenFeature SDK's own client.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'

import { ErrorCode, OpenFeature, ProviderEvents } from '@openfeature/server-sdk'

import { DezkyProvider, toDezkyContext } from '../lib/openfeature.mjs'
import { FLAGS, FlagStore, TENANT, assertCode } from './helpers.mjs'

const store = new FlagStore(FLAGS)
const provider = new DezkyProvider(store)
await OpenFeature.setProviderAndWait('dezky-test', provider)
const client = OpenFeature.getClient('dezky-test')
after(() => OpenFeature.close())

const ctx = { targetingKey: TENANT, tenantSlug: 'acme', plan: 'business', environment: 'prod' }

test('boolean resolution: value, variant and mapped reason', async () => {
  const rollout = await client.getBooleanDetails('gdpr_export_v2', false, ctx)
  assert.equal(rollout.value, true)
  assert.equal(rollout.variant, 'on')
  assert.equal(rollout.reason, 'SPLIT')
  assert.equal(rollout.flagMetadata.dezkyReason, 'in_rollout')
  assert.equal(rollout.flagMetadata.bucket, 12)
  assert.equal(rollout.errorCode, undefined)

  const out = await client.getBooleanDetails('new_billing_engine', true, ctx)
  assert.deepEqual([out.value, out.variant, out.reason], [false, 'off', 'SPLIT'])
  const targeted = await client.getBooleanDetails('jmap_native_v2', false, ctx)
  assert.deepEqual([targeted.value, targeted.reason], [true, 'TARGETING_MATCH'])
  const notTargeted = await client.getBooleanDetails('partner_portal', true, ctx)
  assert.deepEqual([notTargeted.value, notTargeted.reason], [false, 'DEFAULT'])
  assert.equal((await client.getBooleanDetails('always_on', false, ctx)).reason, 'STATIC')
  assert.equal((await client.getBooleanDetails('always_off', true, ctx)).reason, 'DISABLED')
  assert.equal(await client.getBooleanValue('always_on', false, {}), true)
})

test('targetingKey is the tenant id', async () => {
  // Without a targeting key there is no subject to bucket on.
  const none = await client.getBooleanDetails('gdpr_export_v2', true, { plan: 'business' })
  assert.deepEqual([none.value, none.reason, none.flagMetadata.dezkyReason], [false, 'DEFAULT', 'subject_missing'])
  assert.deepEqual(toDezkyContext({ targetingKey: 't1', plan: 'p', unrelated: 1 }), { tenantId: 't1', plan: 'p' })
  assert.deepEqual(toDezkyContext({ tenantId: 't2' }), { tenantId: 't2' })
})

test('unknown keys resolve to the default with FLAG_NOT_FOUND', async () => {
  const details = await client.getBooleanDetails('no_such_flag', true, ctx)
  assert.equal(details.value, true)
  assert.equal(details.errorCode, ErrorCode.FLAG_NOT_FOUND)
  assert.equal(details.reason, 'ERROR')
  const str = await client.getStringDetails('no_such_flag', 'x', ctx)
  assert.equal(str.errorCode, ErrorCode.FLAG_NOT_FOUND)
})

test('string, number and object requests are TYPE_MISMATCH', async () => {
  const s = await client.getStringDetails('always_on', 'fallback', ctx)
  assert.deepEqual([s.value, s.errorCode], ['fallback', ErrorCode.TYPE_MISMATCH])
  const n = await client.getNumberDetails('always_on', 7, ctx)
  assert.deepEqual([n.value, n.errorCode], [7, ErrorCode.TYPE_MISMATCH])
  const o = await client.getObjectDetails('always_on', { a: 1 }, ctx)
  assert.deepEqual([o.value, o.errorCode], [{ a: 1 }, ErrorCode.TYPE_MISMATCH])
})

test('a context attribute of the wrong type is INVALID_CONTEXT', async () => {
  const details = await client.getBooleanDetails('always_on', false, { ...ctx, plan: 42 })
  assert.equal(details.value, false)
  assert.equal(details.errorCode, ErrorCode.INVALID_CONTEXT)
})

test('store changes emit PROVIDER_CONFIGURATION_CHANGED with flagsChanged', async () => {
  // Notifications do not keep the process alive, so the timeout also holds the event loop open.
  const event = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no PROVIDER_CONFIGURATION_CHANGED event')), 5000)
    const handler = (details) => {
      clearTimeout(timer)
      client.removeHandler(ProviderEvents.ConfigurationChanged, handler)
      resolve(details)
    }
    client.addHandler(ProviderEvents.ConfigurationChanged, handler)
  })
  store.replace(store.flags().kill('always_on', 'ops@dezky.example').flags)
  const details = await event
  assert.deepEqual(details.flagsChanged, ['always_on'])
  assert.equal(await client.getBooleanValue('always_on', true, ctx), false)
})

test('the provider rejects something that is not a store', async () => {
  await assertCode(() => new DezkyProvider({}), 'DEZKY_INVALID_ARGUMENT', { argument: 'store' })
})
