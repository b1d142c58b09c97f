import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import test from 'node:test'

import {
  CONTEXT,
  CompiledContext,
  DezkyError,
  ErrorCode,
  FLAGS,
  FlagSet,
  TENANT,
  assertCode,
  bucket,
  killSwitch,
  openFeatureReason,
  previewRollout,
} from './helpers.mjs'

const require = createRequire(import.meta.url)

test('CommonJS and ESM entry points expose the same module', async () => {
  const cjs = require('../lib/index.cjs')
  const esm = await import('../lib/index.mjs')
  assert.equal(cjs.FlagSet, esm.FlagSet)
  assert.equal(cjs.DezkyError, esm.DezkyError)
  assert.equal(typeof cjs.bucket, 'function')
  assert.equal(esm.default.FlagStore, cjs.FlagStore)
})

test('FlagSet.fromJson and fromFlags build the same set', () => {
  const a = FlagSet.fromJson(JSON.stringify(FLAGS))
  const b = FlagSet.fromFlags(FLAGS)
  assert.equal(a.size, FLAGS.length)
  assert.deepEqual(a.keys(), FLAGS.map((f) => f.key))
  assert.deepEqual(JSON.parse(a.toJson()), JSON.parse(b.toJson()))
})

test('toJson and flags() round-trip the documents, unknown fields included', () => {
  const set = FlagSet.fromFlags(FLAGS)
  const docs = set.flags()
  assert.equal(docs.length, FLAGS.length)
  const off = docs.find((f) => f.key === 'always_off')
  assert.equal(off._id, 'abc123')
  assert.equal(off.createdAt, '2025-01-01T00:00:00Z')
  assert.equal(docs[0].pct, 25)
  assert.deepEqual(JSON.parse(set.toJson()), docs)
  assert.deepEqual(JSON.parse(FlagSet.fromJson(set.toJson()).toJson()), JSON.parse(set.toJson()))
  assert.equal(set.get('always_on').state, 'on')
  assert.equal(set.get('nope'), null)
})

test('evaluate reports value, reason, bucket, killed and variant', () => {
  const set = FlagSet.fromFlags(FLAGS)
  assert.deepEqual(set.evaluate('gdpr_export_v2', CONTEXT), {
    key: 'gdpr_export_v2',
    value: true,
    reason: 'in_rollout',
    openFeatureReason: 'SPLIT',
    bucket: 12,
    killed: false,
    variant: 'on',
  })
  const out = set.evaluate('new_billing_engine', CONTEXT)
  assert.equal(out.value, false)
  assert.equal(out.reason, 'out_of_rollout')
  assert.equal(out.bucket, 29)
  assert.equal(out.variant, 'off')
  assert.equal(set.evaluate('jmap_native_v2', CONTEXT).reason, 'targeting_match')
  assert.equal(set.evaluate('partner_portal', CONTEXT).reason, 'not_targeted')
  assert.equal(set.evaluate('partner_portal', { ...CONTEXT, partnerSlug: 'nordic-it' }).value, true)
  assert.equal(set.evaluate('always_on', {}).reason, 'on')
  assert.equal(set.evaluate('always_off', CONTEXT).reason, 'off')
  assert.equal(set.evaluate('gdpr_export_v2', { plan: 'business' }).reason, 'subject_missing')
  const missing = set.evaluate('no_such_flag', CONTEXT)
  assert.deepEqual(
    { value: missing.value, reason: missing.reason, of: missing.openFeatureReason },
    { value: false, reason: 'flag_not_found', of: 'ERROR' },
  )
  assert.equal(missing.bucket, undefined)
})

test('context fields that are null or undefined count as absent', () => {
  const set = FlagSet.fromFlags(FLAGS)
  const ctx = { tenantId: TENANT, plan: 'business', partnerSlug: undefined, environment: null }
  assert.equal(set.evaluate('jmap_native_v2', ctx).value, true)
  assert.equal(set.evaluateAll(ctx).partner_portal, false)
})

test('evaluateAll returns {key: boolean} in flag order', () => {
  const set = FlagSet.fromFlags(FLAGS)
  const all = set.evaluateAll(CONTEXT)
  assert.deepEqual(all, {
    gdpr_export_v2: true,
    new_billing_engine: false,
    jmap_native_v2: true,
    partner_portal: false,
    always_on: true,
    always_off: false,
  })
  assert.deepEqual(Object.keys(all), set.keys())
  assert.deepEqual(FlagSet.fromFlags([]).evaluateAll(CONTEXT), {})
})

test('evaluateAllDetailed agrees with evaluate', () => {
  const set = FlagSet.fromFlags(FLAGS)
  const detailed = set.evaluateAllDetailed(CONTEXT)
  assert.deepEqual(
    detailed,
    set.keys().map((k) => set.evaluate(k, CONTEXT)),
  )
})

test('bucket matches the contract vectors', () => {
  assert.equal(bucket(TENANT, 'gdpr_export_v2'), 12)
  assert.equal(bucket(TENANT, 'new_billing_engine'), 29)
  assert.equal(bucket('665a00000000000000000001', 'jmap_native_v2'), 6)
  assert.equal(bucket('tenant-1', 'x'), 81)
})

test('openFeatureReason maps every reason', () => {
  assert.equal(openFeatureReason('in_rollout'), 'SPLIT')
  assert.equal(openFeatureReason('out_of_rollout'), 'SPLIT')
  assert.equal(openFeatureReason('off'), 'DISABLED')
  assert.equal(openFeatureReason('on'), 'STATIC')
  assert.equal(openFeatureReason('targeting_match'), 'TARGETING_MATCH')
  assert.equal(openFeatureReason('not_targeted'), 'DEFAULT')
  assert.equal(openFeatureReason('subject_missing'), 'DEFAULT')
  assert.equal(openFeatureReason('flag_not_found'), 'ERROR')
})

test('kill switch on a FlagSet: new set, killed flag with history, audit event', () => {
  const set = FlagSet.fromFlags(FLAGS)
  const change = set.kill('gdpr_export_v2', 'ops@dezky.example')
  assert.ok(change.flags instanceof FlagSet)
  assert.equal(change.flag.state, 'off')
  assert.equal(change.flag.pct, 0)
  assert.equal(change.flag.history.length, 1)
  assert.equal(change.flag.history[0].action, 'kill_switch')
  assert.equal(change.flag.history[0].actor, 'ops@dezky.example')
  assert.equal(change.audit.action, 'flag.kill_switch')
  assert.equal(change.audit.actorEmail, 'ops@dezky.example')
  assert.equal(change.audit.targetId, 'gdpr_export_v2')
  assert.equal(change.audit.before.state, 'rollout')
  assert.equal(change.audit.after.state, 'off')
  assert.match(change.audit.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  const after = change.flags.evaluate('gdpr_export_v2', CONTEXT)
  assert.equal(after.value, false)
  assert.equal(after.killed, true)
  // The original set is immutable.
  assert.equal(set.evaluate('gdpr_export_v2', CONTEXT).value, true)
})

test('killSwitch accepts a FlagSet, an array of documents or JSON text', () => {
  const set = FlagSet.fromFlags(FLAGS)
  for (const input of [set, FLAGS, JSON.stringify(FLAGS)]) {
    const change = killSwitch(input, 'always_on', 'ops@dezky.example')
    assert.equal(change.flags.evaluate('always_on', CONTEXT).value, false)
    assert.equal(change.flags.evaluate('always_on', CONTEXT).killed, true)
    assert.equal(change.audit.action, 'flag.kill_switch')
    assert.equal(change.flags.size, FLAGS.length)
  }
})

test('update applies a partial change and audits it; a no-op update audits nothing', () => {
  const set = FlagSet.fromFlags(FLAGS)
  const change = set.update('new_billing_engine', { pct: 50 }, 'ops@dezky.example')
  assert.equal(change.flag.pct, 50)
  assert.equal(change.audit.action, 'flag.update')
  assert.equal(change.audit.before.pct, 10)
  assert.equal(change.audit.after.pct, 50)
  assert.equal(change.flags.evaluate('new_billing_engine', CONTEXT).value, true) // bucket 29 < 50
  const noop = change.flags.update('new_billing_engine', { pct: 50 }, 'ops@dezky.example')
  assert.equal(noop.audit, null)
  assert.equal(noop.flag.history.length, 1)
  // Nothing changed, so the set is the very one the update was made on (as in Python).
  assert.equal(noop.flags, change.flags)
  assert.notEqual(change.flags, set)
})

test('create adds an off flag; delete deletes one', () => {
  const set = FlagSet.fromFlags(FLAGS)
  const created = set.create('brand_new', 'A new flag', 'ops@dezky.example')
  assert.equal(created.flags.size, FLAGS.length + 1)
  assert.equal(created.flag.state, 'off')
  assert.equal(created.audit.action, 'flag.create')
  assert.equal(created.audit.before, null)
  const deleted = created.flags.delete('brand_new', 'ops@dezky.example')
  assert.equal(deleted.flags.size, FLAGS.length)
  assert.deepEqual(deleted.flags.keys(), set.keys())
  assert.equal(deleted.flag, null)
  assert.equal(deleted.audit.action, 'flag.delete')
  assert.equal(deleted.audit.targetId, 'brand_new')
  assert.equal(deleted.audit.before.state, 'off')
  assert.equal(deleted.audit.after, null)
  // The original set is immutable.
  assert.equal(created.flags.size, FLAGS.length + 1)
})

test('remove, the deprecated name of delete, does the same', () => {
  const set = FlagSet.fromFlags(FLAGS)
  const deleted = set.delete('always_on', 'ops@dezky.example')
  const removed = set.remove('always_on', 'ops@dezky.example')
  assert.deepEqual(removed.flags.keys(), deleted.flags.keys())
  assert.equal(removed.flag, null)
  assert.deepEqual({ ...removed.audit, at: null }, { ...deleted.audit, at: null })
  assert.throws(() => set.remove('nope', 'ops@dezky.example'), { code: 'DEZKY_FLAG_NOT_FOUND', flag: 'nope' })
})

test('previewRollout counts exactly which contexts a configuration enables', () => {
  const contexts = [
    { tenantId: TENANT }, // gdpr bucket 12
    { tenantId: '665a00000000000000000001' },
    { tenantId: 'tenant-1' },
    { plan: 'business' }, // no subject
  ]
  const flag = { key: 'gdpr_export_v2', state: 'rollout', pct: 25, scope: {} }
  const preview = previewRollout(flag, contexts)
  const expected = contexts
    .map((c, i) => (c.tenantId && bucket(c.tenantId, 'gdpr_export_v2') < 25 ? i : -1))
    .filter((i) => i >= 0)
  assert.deepEqual(preview, { total: 4, enabledCount: expected.length, enabled: expected })
  assert.ok(preview.enabled.includes(0))
  assert.deepEqual(previewRollout(JSON.stringify({ ...flag, pct: 100 }), contexts).enabledCount, 3)
  assert.deepEqual(previewRollout(flag, []), { total: 0, enabledCount: 0, enabled: [] })
})

test('DezkyError is recognised by instanceof and can be constructed', () => {
  let caught
  try {
    FlagSet.fromJson('nope')
  } catch (e) {
    caught = e
  }
  assert.ok(caught instanceof DezkyError)
  assert.ok(caught instanceof Error)
  assert.equal(caught.code, ErrorCode.MALFORMED_JSON)
  assert.ok(!(new Error('plain') instanceof DezkyError))
  const own = new DezkyError(ErrorCode.FLAG_SOURCE, 'boom', { source: 'x' })
  assert.ok(own instanceof DezkyError)
  assert.equal(own.source, 'x')
  assert.equal(own.name, 'DezkyError')
})

test('duplicate keys, invalid flags and malformed JSON carry their details', async () => {
  await assertCode(() => FlagSet.fromFlags([{ key: 'a', state: 'on' }, { key: 'a', state: 'off' }]), 'DEZKY_DUPLICATE_FLAG', { flag: 'a' })
  await assertCode(() => FlagSet.fromFlags([{ key: 'a', state: 'rollout', pct: 101 }]), 'DEZKY_INVALID_FLAG', { flag: 'a', field: 'pct' })
  const e = await assertCode(() => FlagSet.fromJson('[\n  {"key": }'), 'DEZKY_MALFORMED_JSON', { line: 2 })
  assert.ok(e.column > 0)
})

test('a compiled context evaluates like the object it was compiled from', () => {
  const set = FlagSet.fromFlags(FLAGS)
  const contexts = [
    CONTEXT,
    {},
    { tenantId: TENANT },
    { ...CONTEXT, plan: 'starter', partnerSlug: 'nordic-it', userId: 'u-1' },
    { ...CONTEXT, environment: null, plan: undefined },
  ]
  for (const ctx of contexts) {
    const compiled = set.compileContext(ctx)
    assert.ok(compiled instanceof CompiledContext)
    assert.deepEqual(set.evaluateAll(compiled), set.evaluateAll(ctx))
    assert.deepEqual(set.evaluateAllDetailed(compiled), set.evaluateAllDetailed(ctx))
    for (const f of FLAGS) assert.deepEqual(set.evaluate(f.key, compiled), set.evaluate(f.key, ctx))
  }
})

test('a compiled context has typed fields and serves any set, of any size', () => {
  const compiled = new CompiledContext({ ...CONTEXT, partnerSlug: null })
  assert.equal(compiled.tenantId, TENANT)
  assert.equal(compiled.tenantSlug, 'acme')
  assert.equal(compiled.plan, 'business')
  assert.equal(compiled.environment, 'prod')
  assert.equal(compiled.partnerSlug, null)
  assert.equal(compiled.userId, null)
  assert.deepEqual(compiled.toJSON(), CONTEXT)
  // Sets across the 32-flag word boundary, evaluated in turn with one context:
  // each result has its own set's keys and values, whatever ran before.
  for (const n of [0, 1, 31, 32, 33, 70, 5, 64]) {
    const flags = Array.from({ length: n }, (_, i) => ({
      key: `flag_${i}`,
      state: i % 3 === 0 ? 'rollout' : i % 3 === 1 ? 'on' : 'off',
      pct: (i * 37) % 101,
    }))
    const set = FlagSet.fromFlags(flags)
    const all = set.evaluateAll(compiled)
    assert.deepEqual(Object.keys(all), flags.map((f) => f.key))
    assert.deepEqual(all, set.evaluateAll(CONTEXT))
    assert.ok(Object.values(all).some((v) => v) || n < 2)
  }
})

test('compiling a bad context throws DEZKY_INVALID_CONTEXT like evaluating it', () => {
  const set = FlagSet.fromFlags(FLAGS)
  for (const [ctx, field] of [
    [{ plan: 1 }, 'plan'],
    [{ tenantID: TENANT }, 'tenantID'],
  ]) {
    assert.throws(() => set.compileContext(ctx), (e) => e instanceof DezkyError && e.code === ErrorCode.INVALID_CONTEXT && e.field === field)
    assert.throws(() => new CompiledContext(ctx), (e) => e.code === ErrorCode.INVALID_CONTEXT && e.field === field)
  }
  assert.throws(() => set.compileContext(null), (e) => e.code === ErrorCode.INVALID_CONTEXT)
  assert.throws(() => set.compileContext(), (e) => e.code === ErrorCode.INVALID_CONTEXT)
  // An object that only looks like a compiled context is read as a plain context.
  const fake = Object.create(CompiledContext.prototype)
  assert.throws(() => set.evaluateAll(fake), (e) => e instanceof DezkyError)
})
