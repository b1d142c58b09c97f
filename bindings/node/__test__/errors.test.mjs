// Feeds wrong types, missing arguments, invalid JSON and out-of-range values to
// every exported function and asserts the stable error code: never napi's
// generic GenericFailure/InvalidArg, never a crash.
import test from 'node:test'

import { CONTEXT, FLAGS, FlagSet, FlagStore, assertCode, bucket, killSwitch, openFeatureReason, previewRollout } from './helpers.mjs'

const ARG = 'DEZKY_INVALID_ARGUMENT'
const CTX = 'DEZKY_INVALID_CONTEXT'
const FLAG = 'DEZKY_INVALID_FLAG'
const JSON_ = 'DEZKY_MALFORMED_JSON'

const set = FlagSet.fromFlags(FLAGS)
const store = new FlagStore(set)
const flag = { key: 'x', state: 'rollout', pct: 10 }

/** [description, call, code, details] */
const cases = [
  // FlagSet.fromJson
  ['fromJson()', () => FlagSet.fromJson(), ARG, { argument: 'text' }],
  ['fromJson(number)', () => FlagSet.fromJson(42), ARG, { argument: 'text' }],
  ['fromJson(object)', () => FlagSet.fromJson(FLAGS), ARG],
  ['fromJson(invalid JSON)', () => FlagSet.fromJson('[{"key": "a",]'), JSON_],
  ['fromJson(empty string)', () => FlagSet.fromJson(''), JSON_],
  ['fromJson(not an array)', () => FlagSet.fromJson('{"key": "a"}'), JSON_],
  ['fromJson(pct out of range)', () => FlagSet.fromJson('[{"key": "a", "state": "rollout", "pct": 101}]'), FLAG, { field: 'pct' }],
  ['fromJson(negative pct)', () => FlagSet.fromJson('[{"key": "a", "state": "rollout", "pct": -1}]'), FLAG, { field: 'pct' }],
  ['fromJson(fractional pct)', () => FlagSet.fromJson('[{"key": "a", "state": "rollout", "pct": 10.5}]'), FLAG, { field: 'pct' }],
  ['fromJson(unknown state)', () => FlagSet.fromJson('[{"key": "a", "state": "maybe"}]'), FLAG, { field: 'state' }],
  ['fromJson(bad key)', () => FlagSet.fromJson('[{"key": "Bad-Key", "state": "on"}]'), FLAG, { field: 'key' }],
  ['fromJson(duplicate)', () => FlagSet.fromJson('[{"key": "a", "state": "on"}, {"key": "a", "state": "on"}]'), 'DEZKY_DUPLICATE_FLAG'],
  // FlagSet.fromFlags
  ['fromFlags()', () => FlagSet.fromFlags(), ARG, { argument: 'flags' }],
  ['fromFlags(string)', () => FlagSet.fromFlags('[]'), ARG],
  ['fromFlags(object)', () => FlagSet.fromFlags({ key: 'a' }), ARG],
  ['fromFlags(null)', () => FlagSet.fromFlags(null), ARG],
  ['fromFlags([number])', () => FlagSet.fromFlags([42]), FLAG, { flag: '#0' }],
  ['fromFlags(missing state)', () => FlagSet.fromFlags([{ key: 'a' }]), FLAG, { field: 'state' }],
  ['fromFlags(scope not object)', () => FlagSet.fromFlags([{ key: 'a', state: 'on', scope: 5 }]), FLAG, { field: 'scope' }],
  ['fromFlags(scope value not string)', () => FlagSet.fromFlags([{ key: 'a', state: 'targeted', scope: { plans: [1] } }]), FLAG],
  ['fromFlags(function inside)', () => FlagSet.fromFlags([{ key: 'a', state: 'on', description: () => 1 }]), ARG],
  ['fromFlags(symbol inside)', () => FlagSet.fromFlags([{ key: 'a', state: 'on', description: Symbol('x') }]), ARG],
  // evaluate / evaluateAll / evaluateAllDetailed
  ['evaluate()', () => set.evaluate(), ARG, { argument: 'key' }],
  ['evaluate(number key)', () => set.evaluate(1, CONTEXT), ARG, { argument: 'key' }],
  ['evaluate(key) without context', () => set.evaluate('always_on'), CTX],
  ['evaluate(context number)', () => set.evaluate('always_on', 42), CTX],
  ['evaluate(context string)', () => set.evaluate('always_on', '{}'), CTX],
  ['evaluate(context array)', () => set.evaluate('always_on', []), CTX],
  ['evaluate(context null)', () => set.evaluate('always_on', null), CTX],
  ['evaluate(tenantId number)', () => set.evaluate('always_on', { tenantId: 42 }), CTX, { field: 'tenantId' }],
  ['evaluate(unknown context field)', () => set.evaluate('always_on', { partnerslug: 'x' }), CTX, { field: 'partnerslug' }],
  ['evaluateAll()', () => set.evaluateAll(), CTX],
  ['evaluateAll(number)', () => set.evaluateAll(7), CTX],
  ['evaluateAll(plan array)', () => set.evaluateAll({ plan: ['business'] }), CTX, { field: 'plan' }],
  ['evaluateAll(unknown field)', () => set.evaluateAll({ tenant: 'x' }), CTX, { field: 'tenant' }],
  // Unknown fields are found by counting properties: known fields set to undefined or null count too.
  ['evaluateAll(unknown field beside undefined)', () => set.evaluateAll({ partnerSlug: undefined, plan: 'a', tenant: 'x' }), CTX, { field: 'tenant' }],
  ['evaluateAll(unknown undefined field)', () => set.evaluateAll({ tenantSlug: null, typo: undefined }), CTX, { field: 'typo' }],
  ['evaluateAll(unknown field after all known)', () => set.evaluateAll({ tenantId: 'a', tenantSlug: 'b', plan: 'c', environment: 'd', partnerSlug: 'e', userId: 'f', x: 'g' }), CTX, { field: 'x' }],
  ['evaluateAll(userId number after undefined)', () => set.evaluateAll({ partnerSlug: undefined, userId: 7 }), CTX, { field: 'userId' }],
  ['evaluateAllDetailed(boolean)', () => set.evaluateAllDetailed(true), CTX],
  ['get(number)', () => set.get(5), ARG, { argument: 'key' }],
  // kill / update / create / delete (and remove, its deprecated name)
  ['kill(unknown key)', () => set.kill('nope', 'ops@x'), 'DEZKY_FLAG_NOT_FOUND', { flag: 'nope' }],
  ['kill(blank actor)', () => set.kill('always_on', '  '), ARG, { argument: 'actor' }],
  ['kill(no actor)', () => set.kill('always_on'), ARG, { argument: 'actor' }],
  ['kill(number key)', () => set.kill(3, 'ops@x'), ARG, { argument: 'key' }],
  ['update(pct out of range)', () => set.update('always_on', { pct: 500 }, 'ops@x'), FLAG, { field: 'pct' }],
  ['update(key field)', () => set.update('always_on', { key: 'other' }, 'ops@x'), FLAG, { field: 'key' }],
  ['update(not an object)', () => set.update('always_on', 'off', 'ops@x'), FLAG],
  ['update(unknown flag)', () => set.update('nope', { state: 'on' }, 'ops@x'), 'DEZKY_FLAG_NOT_FOUND'],
  ['update(missing update)', () => set.update('always_on'), ARG, { argument: 'update' }],
  ['create(existing key)', () => set.create('always_on', '', 'ops@x'), 'DEZKY_DUPLICATE_FLAG'],
  ['create(invalid key)', () => set.create('Not Valid', '', 'ops@x'), FLAG, { field: 'key' }],
  ['create(description number)', () => set.create('fine_key', 5, 'ops@x'), ARG, { argument: 'description' }],
  ['delete(unknown)', () => set.delete('nope', 'ops@x'), 'DEZKY_FLAG_NOT_FOUND', { flag: 'nope' }],
  ['delete(blank actor)', () => set.delete('always_on', ''), ARG, { argument: 'actor' }],
  ['remove(unknown)', () => set.remove('nope', 'ops@x'), 'DEZKY_FLAG_NOT_FOUND'],
  // bucket
  ['bucket()', () => bucket(), ARG, { argument: 'subject' }],
  ['bucket(subject)', () => bucket('tenant-1'), ARG, { argument: 'key' }],
  ['bucket(number, string)', () => bucket(1, 'x'), ARG, { argument: 'subject' }],
  ['bucket(string, object)', () => bucket('tenant-1', {}), ARG, { argument: 'key' }],
  // killSwitch
  ['killSwitch()', () => killSwitch(), ARG, { argument: 'flags' }],
  ['killSwitch(number)', () => killSwitch(42, 'a', 'ops@x'), ARG, { argument: 'flags' }],
  ['killSwitch(plain object)', () => killSwitch({ key: 'a' }, 'a', 'ops@x'), ARG, { argument: 'flags' }],
  ['killSwitch(invalid JSON)', () => killSwitch('[{', 'a', 'ops@x'), JSON_],
  ['killSwitch(unknown key)', () => killSwitch(FLAGS, 'nope', 'ops@x'), 'DEZKY_FLAG_NOT_FOUND'],
  ['killSwitch(missing actor)', () => killSwitch(FLAGS, 'always_on'), ARG, { argument: 'actor' }],
  ['killSwitch(empty actor)', () => killSwitch(set, 'always_on', ''), ARG, { argument: 'actor' }],
  // previewRollout
  ['previewRollout()', () => previewRollout(), ARG, { argument: 'flag' }],
  ['previewRollout(number flag)', () => previewRollout(1, []), ARG, { argument: 'flag' }],
  ['previewRollout(array flag)', () => previewRollout([flag], []), ARG, { argument: 'flag' }],
  ['previewRollout(invalid flag)', () => previewRollout({ key: 'x', state: 'rollout', pct: 200 }, []), FLAG, { field: 'pct' }],
  ['previewRollout(flag JSON broken)', () => previewRollout('{"key": ', []), JSON_],
  ['previewRollout(no contexts)', () => previewRollout(flag), ARG, { argument: 'contexts' }],
  ['previewRollout(contexts object)', () => previewRollout(flag, {}), ARG, { argument: 'contexts' }],
  ['previewRollout(context not object)', () => previewRollout(flag, [{}, 5]), CTX, { field: '[1]' }],
  ['previewRollout(context field wrong)', () => previewRollout(flag, [{}, {}, { plan: 3 }]), CTX, { field: '[2].plan' }],
  // openFeatureReason
  ['openFeatureReason()', () => openFeatureReason(), ARG, { argument: 'reason' }],
  ['openFeatureReason(unknown)', () => openFeatureReason('because'), ARG, { argument: 'reason' }],
  // FlagStore
  ['new FlagStore()', () => new FlagStore(), ARG, { argument: 'flags' }],
  ['new FlagStore(number)', () => new FlagStore(42), ARG],
  ['new FlagStore(bad JSON)', () => new FlagStore('[x'), JSON_],
  ['store.evaluate(no context)', () => store.evaluate('always_on'), CTX],
  ['store.evaluate(number key)', () => store.evaluate(5, {}), ARG],
  ['store.evaluateAll(string)', () => store.evaluateAll('ctx'), CTX],
  ['store.evaluateAll(bad field)', () => store.evaluateAll({ userId: 1 }), CTX, { field: 'userId' }],
  ['store.replace()', () => store.replace(), ARG],
  ['store.replace(invalid flag)', () => store.replace([{ key: 'a', state: 'nope' }]), FLAG],
  ['store.onChange()', () => store.onChange(), ARG, { argument: 'callback' }],
  ['store.onChange(string)', () => store.onChange('cb'), ARG, { argument: 'callback' }],
  ['store.refresh() without source', () => store.refresh(), ARG, { argument: 'source' }],
  ['store.start() without source', () => store.start(), ARG, { argument: 'source' }],
  ['FlagStore.fromFile()', () => FlagStore.fromFile(), ARG, { argument: 'path' }],
  ['FlagStore.fromFile(number)', () => FlagStore.fromFile(42), ARG, { argument: 'path' }],
  ['FlagStore.fromFile(missing file)', () => FlagStore.fromFile('/nonexistent/dezky/flags.json'), 'DEZKY_FLAG_SOURCE'],
  ['FlagStore.fromFile(options number)', () => FlagStore.fromFile('x.json', 5), ARG, { argument: 'options' }],
  ['FlagStore.fromFile(options unknown)', () => FlagStore.fromFile('x.json', { intervalSeconds: 1 }), ARG, { argument: 'intervalSeconds' }],
  ['FlagStore.fromFile(interval string)', () => FlagStore.fromFile('x.json', { intervalMs: '1s' }), ARG, { argument: 'intervalMs' }],
  ['FlagStore.fromFile(interval negative)', () => FlagStore.fromFile('x.json', { intervalMs: -5 }), ARG, { argument: 'intervalMs' }],
  ['FlagStore.fromFile(interval zero)', () => FlagStore.fromFile('x.json', { intervalMs: 0 }), ARG, { argument: 'interval' }],
  ['FlagStore.fromFile(backoff < interval)', () => FlagStore.fromFile('x.json', { intervalMs: 1000, maxBackoffMs: 10 }), ARG, { argument: 'maxBackoff' }],
]

for (const [name, call, code, details] of cases) {
  test(`bad input: ${name} -> ${code}`, async () => {
    await assertCode(call, code, details)
  })
}

test('bad input: error messages never carry napi status codes', async () => {
  for (const [, call] of cases) {
    try {
      await call()
    } catch (e) {
      if (/GenericFailure|InvalidArg|StringExpected|ObjectExpected/.test(`${e.code} ${e.message}`)) {
        throw new Error(`napi status leaked: ${e.code} ${e.message}`)
      }
    }
  }
})
