import assert from 'node:assert/strict'
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'

import { CONTEXT, FLAGS, FlagSet, FlagStore, assertCode } from './helpers.mjs'

const dir = mkdtempSync(join(tmpdir(), 'dezky-node-'))
after(() => rmSync(dir, { recursive: true, force: true }))

let n = 0
function flagsFile(flags) {
  const path = join(dir, `flags-${n++}.json`)
  writeFileSync(path, JSON.stringify(flags))
  return path
}

/** Resolves with the next onChange call, or rejects after `ms`. */
function nextChange(store, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.unsubscribe()
      reject(new Error('no change notification'))
    }, ms)
    const sub = store.onChange((keys) => {
      clearTimeout(timer)
      sub.unsubscribe()
      resolve(keys)
    })
  })
}

test('FlagStore.fromFile loads, evaluates and reports status', async () => {
  const path = flagsFile(FLAGS)
  const store = await FlagStore.fromFile(path)
  assert.ok(store instanceof FlagStore)
  assert.equal(store.evaluate('gdpr_export_v2', CONTEXT).reason, 'in_rollout')
  assert.deepEqual(store.evaluateAll(CONTEXT), FlagSet.fromFlags(FLAGS).evaluateAll(CONTEXT))
  assert.equal(store.flags().size, FLAGS.length)
  const status = store.status()
  assert.equal(status.flagCount, FLAGS.length)
  assert.equal(status.source.includes(path), true)
  assert.equal(status.stale, false)
  assert.equal(status.consecutiveFailures, 0)
  assert.equal(status.refreshing, false)
  assert.equal(typeof status.version, 'string')
  assert.ok(status.ageMs >= 0)
})

test('refresh() picks up a changed file and notifies onChange', async () => {
  const path = flagsFile(FLAGS)
  const store = await FlagStore.fromFile(path)
  assert.deepEqual(await store.refresh(), { outcome: 'unchanged', changed: [] })
  const changed = nextChange(store)
  writeFileSync(path, JSON.stringify(FLAGS.map((f) => (f.key === 'always_on' ? { ...f, state: 'off' } : f))))
  const result = await store.refresh()
  assert.deepEqual(result, { outcome: 'updated', changed: ['always_on'] })
  assert.deepEqual(await changed, ['always_on'])
  assert.equal(store.evaluate('always_on', CONTEXT).value, false)
})

test('a failed refresh keeps the last good snapshot and records the error', async () => {
  const path = flagsFile(FLAGS)
  const store = await FlagStore.fromFile(path)
  writeFileSync(path, '[{"key": "broken",')
  await assertCode(() => store.refresh(), 'DEZKY_MALFORMED_JSON')
  const status = store.status()
  assert.equal(status.consecutiveFailures, 1)
  assert.equal(status.lastErrorCode, 'DEZKY_MALFORMED_JSON')
  assert.equal(store.evaluate('always_on', CONTEXT).value, true)
  writeFileSync(path, JSON.stringify(FLAGS))
  await store.refresh()
  assert.equal(store.status().consecutiveFailures, 0)
  assert.equal(store.status().lastError, undefined)
})

test('fromFile rejects an invalid first load with the core code', async () => {
  await assertCode(() => FlagStore.fromFile(flagsFile([{ key: 'a', state: 'rollout', pct: 300 }])), 'DEZKY_INVALID_FLAG', { flag: 'a', field: 'pct' })
  await assertCode(() => FlagStore.fromFile(join(dir, 'missing.json')), 'DEZKY_FLAG_SOURCE')
})

test('start() refreshes in the background; stop() ends it', async () => {
  const path = flagsFile(FLAGS)
  const store = await FlagStore.fromFile(path, { intervalMs: 20, maxBackoffMs: 200, staleAfterMs: 60000 })
  store.start()
  store.start() // idempotent
  assert.equal(store.status().refreshing, true)
  const changed = nextChange(store)
  writeFileSync(path, JSON.stringify([...FLAGS, { key: 'added_later', state: 'on' }]))
  assert.deepEqual(await changed, ['added_later'])
  assert.equal(store.evaluateAll(CONTEXT).added_later, true)
  store.stop()
  assert.equal(store.status().refreshing, false)
  writeFileSync(path, JSON.stringify(FLAGS))
  await sleep(100)
  assert.equal(store.evaluateAll(CONTEXT).added_later, true, 'a stopped refresher must not swap')
  store.close()
})

test('replace() swaps at once, returns and announces the changed keys', async () => {
  const store = new FlagStore(FLAGS)
  const seen = []
  const sub = store.onChange((keys) => seen.push(keys))
  assert.equal(sub.active, true)
  const changed = store.replace(FlagSet.fromFlags(FLAGS).kill('always_on', 'ops@dezky.example').flags)
  assert.deepEqual(changed, ['always_on'])
  assert.equal(store.evaluate('always_on', CONTEXT).killed, true)
  assert.deepEqual(store.replace(store.flags()), [])
  await sleep(20)
  assert.deepEqual(seen, [['always_on']])
  sub.unsubscribe()
  sub.unsubscribe()
  assert.equal(sub.active, false)
  store.replace(JSON.stringify(FLAGS))
  await sleep(20)
  assert.equal(seen.length, 1, 'no call after unsubscribe')
})

test('a listener survives losing its handle; close() removes listeners', async () => {
  const store = new FlagStore([])
  let calls = 0
  store.onChange(() => calls++)
  globalThis.gc?.()
  store.replace([{ key: 'x', state: 'on' }])
  await sleep(20)
  assert.equal(calls, 1)
  store.close()
  store.replace([])
  await sleep(20)
  assert.equal(calls, 1)
})

test('refresh does not block the event loop', async () => {
  const big = Array.from({ length: 20000 }, (_, i) => ({ key: `flag_${i}`, state: 'rollout', pct: i % 101, scope: { plans: ['a', 'b'] } }))
  const path = flagsFile(big)
  const store = await FlagStore.fromFile(path)
  writeFileSync(path, JSON.stringify(big.map((f) => ({ ...f, pct: 100 - f.pct }))))
  let ranMeanwhile = false
  const pending = store.refresh()
  assert.ok(pending instanceof Promise)
  setImmediate(() => (ranMeanwhile = true))
  assert.equal(store.flags().get('flag_1').pct, 1, 'the old snapshot serves until the swap')
  assert.deepEqual((await pending).outcome, 'updated')
  assert.ok(ranMeanwhile, 'the event loop ran while the file was read and parsed')
  assert.equal(store.flags().get('flag_1').pct, 99)
})

/** Two sets with different keys, order and size, so mixing them up would show. */
const SET_A = FLAGS
const SET_B = [
  { key: 'zz_first', state: 'on' },
  ...[...FLAGS].reverse().map((f) => (f.key === 'always_on' ? { ...f, state: 'off' } : f)),
  ...Array.from({ length: 40 }, (_, i) => ({ key: `extra_${i}`, state: i % 3 ? 'on' : 'off' })),
]

/** Which of the two sets `all` is exactly the evaluation of (keys, order, values), or null. */
function whichSet(all) {
  const entries = JSON.stringify(Object.entries(all))
  if (entries === JSON.stringify(Object.entries(FlagSet.fromFlags(SET_A).evaluateAll(CONTEXT)))) return 'A'
  if (entries === JSON.stringify(Object.entries(FlagSet.fromFlags(SET_B).evaluateAll(CONTEXT)))) return 'B'
  return null
}

test('store.evaluateAll follows replace() at once', () => {
  const store = new FlagStore(SET_A)
  for (let i = 0; i < 20; i++) {
    const next = i % 2 ? SET_A : SET_B
    store.replace(next)
    assert.equal(whichSet(store.evaluateAll(CONTEXT)), i % 2 ? 'A' : 'B')
    assert.equal(whichSet(store.evaluateAll(CONTEXT)), i % 2 ? 'A' : 'B', 'the cached snapshot is reused')
  }
  assert.throws(() => store.evaluateAll({ plan: 1 }), (e) => e.code === 'DEZKY_INVALID_CONTEXT' && e.field === 'plan')
})

test('store.evaluateAll pairs bits and keys of one snapshot while a refresher swaps sets', async () => {
  const path = flagsFile(SET_A)
  const store = await FlagStore.fromFile(path, { intervalMs: 1, maxBackoffMs: 5 })
  store.start()
  const expectedA = JSON.stringify(Object.entries(FlagSet.fromFlags(SET_A).evaluateAll(CONTEXT)))
  const expectedB = JSON.stringify(Object.entries(FlagSet.fromFlags(SET_B).evaluateAll(CONTEXT)))
  const seen = { A: 0, B: 0 }
  let switches = 0
  let last = 'A'
  const deadline = Date.now() + 1500
  for (let i = 0; Date.now() < deadline && switches < 20; i++) {
    if (i % 200 === 0) {
      // Atomic replacement, so the refresher never reads a half-written file.
      writeFileSync(`${path}.tmp`, JSON.stringify((i / 200) % 2 ? SET_A : SET_B))
      renameSync(`${path}.tmp`, path)
    }
    // Synchronous calls while the refresher swaps on another thread.
    const entries = JSON.stringify(Object.entries(store.evaluateAll(CONTEXT)))
    const which = entries === expectedA ? 'A' : entries === expectedB ? 'B' : null
    assert.ok(which, `evaluateAll mixed two snapshots: ${entries}`)
    seen[which]++
    if (which !== last) switches++
    last = which
    if (i % 50 === 0) await sleep(0)
  }
  store.close()
  assert.ok(switches >= 2, `the refresher swapped during the loop (${switches} switches, ${JSON.stringify(seen)})`)
})

test('store.evaluateAll with a compiled context follows replace() and matches the plain context', () => {
  const store = new FlagStore(SET_A)
  const compiled = store.compileContext(CONTEXT)
  assert.deepEqual(store.evaluateAll(compiled), store.evaluateAll(CONTEXT))
  for (let i = 0; i < 20; i++) {
    store.replace(i % 2 ? SET_A : SET_B)
    // Alternating the two forms: each sees the swap, neither pairs bits and keys of two sets.
    assert.equal(whichSet(store.evaluateAll(compiled)), i % 2 ? 'A' : 'B')
    assert.equal(whichSet(store.evaluateAll(CONTEXT)), i % 2 ? 'A' : 'B')
    assert.equal(whichSet(store.evaluateAll(compiled)), i % 2 ? 'A' : 'B', 'the cached snapshot is reused')
  }
  assert.deepEqual(store.evaluate('always_on', compiled), store.evaluate('always_on', CONTEXT))
  assert.throws(() => store.compileContext({ plan: 1 }), (e) => e.code === 'DEZKY_INVALID_CONTEXT' && e.field === 'plan')
})

test('store.evaluateAll with a compiled context while a refresher swaps sets', async () => {
  const path = flagsFile(SET_A)
  const store = await FlagStore.fromFile(path, { intervalMs: 1, maxBackoffMs: 5 })
  const compiled = store.compileContext(CONTEXT)
  store.start()
  const expected = {
    A: JSON.stringify(Object.entries(FlagSet.fromFlags(SET_A).evaluateAll(CONTEXT))),
    B: JSON.stringify(Object.entries(FlagSet.fromFlags(SET_B).evaluateAll(CONTEXT))),
  }
  let switches = 0
  let last = 'A'
  const deadline = Date.now() + 1500
  for (let i = 0; Date.now() < deadline && switches < 20; i++) {
    if (i % 200 === 0) {
      writeFileSync(`${path}.tmp`, JSON.stringify((i / 200) % 2 ? SET_A : SET_B))
      renameSync(`${path}.tmp`, path)
    }
    const entries = JSON.stringify(Object.entries(store.evaluateAll(compiled)))
    const which = entries === expected.A ? 'A' : entries === expected.B ? 'B' : null
    assert.ok(which, `evaluateAll mixed two snapshots: ${entries}`)
    if (which !== last) switches++
    last = which
    if (i % 50 === 0) await sleep(0)
  }
  store.close()
  assert.ok(switches >= 2, `the refresher swapped during the loop (${switches} switches)`)
})
