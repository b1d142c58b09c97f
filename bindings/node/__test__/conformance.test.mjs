// The shared conformance suite (tests/conformance/flags.json at the repository
// root), run through the binding: every case through evaluate and evaluateAll,
// every bucket vector, every invalid document.
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import test from 'node:test'

import { FlagSet, assertCode, bucket } from './helpers.mjs'

const path = fileURLToPath(new URL('../../../tests/conformance/flags.json', import.meta.url))

test('the conformance file exists', () => {
  assert.ok(existsSync(path), `conformance file missing: ${path} (it is shared by every binding; restore it)`)
})

const suite = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : { bucketVectors: [], cases: [], invalid: [] }

test('the conformance file is not empty', () => {
  assert.ok(suite.bucketVectors.length > 0, 'no bucketVectors')
  assert.ok(suite.cases.length > 0, 'no cases')
  assert.ok(suite.invalid.length > 0, 'no invalid documents')
})

test('conformance: bucket vectors', () => {
  for (const v of suite.bucketVectors) {
    assert.equal(bucket(v.subject, v.key), v.bucket, `${v.subject}:${v.key}`)
  }
})

for (const c of suite.cases) {
  test(`conformance: ${c.name}`, () => {
    const fromFlags = FlagSet.fromFlags(c.flags)
    const fromJson = FlagSet.fromJson(JSON.stringify(c.flags))
    for (const [i, { context, expected }] of c.contexts.entries()) {
      const where = `context #${i} ${JSON.stringify(context)}`
      for (const set of [fromFlags, fromJson]) {
        const all = set.evaluateAll(context)
        // evaluateAll covers exactly the set's flags; expected keys the set lacks
        // (reason flag_not_found) are checked through evaluate only.
        const values = Object.fromEntries(
          Object.entries(expected)
            .filter(([, e]) => e.reason !== 'flag_not_found')
            .map(([k, e]) => [k, e.value]),
        )
        assert.deepEqual(all, values, `evaluateAll, ${where}`)
        assert.deepEqual(Object.keys(all), set.keys(), `evaluateAll key order, ${where}`)
        for (const [key, e] of Object.entries(expected)) {
          const got = set.evaluate(key, context)
          assert.equal(got.value, e.value, `evaluate(${key}).value, ${where}`)
          assert.equal(got.reason, e.reason, `evaluate(${key}).reason, ${where}`)
          assert.equal(got.variant, e.value ? 'on' : 'off')
        }
      }
    }
  })
}

for (const inv of suite.invalid) {
  test(`conformance invalid: ${inv.name}`, async () => {
    const details = {}
    if (inv.flag !== undefined) details.flag = inv.flag
    if (inv.field !== undefined) details.field = inv.field
    await assertCode(() => FlagSet.fromJson(inv.json), inv.code, details)
  })
}
