// evaluateAll through the native binding vs a pure-JavaScript implementation of
// the same contract (docs/flags.md) in this script, for sets of 10, 100 and
// 1,000 flags, a third of them rollouts. Prints per-call times and ratios.
//
//   node bench/evaluate_all.mjs [--quick]
//
// The JavaScript side is written the way a careful JS SDK would be: scopes are
// compiled into Sets once per flag set, the context is checked for unknown
// fields and types like the binding does, and only in-scope rollout flags are
// hashed (node:crypto SHA-256, one digest per flag, as the contract defines).
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'

import { FlagSet } from '../lib/index.mjs'

const quick = process.argv.includes('--quick')
const DURATION_MS = quick ? 150 : 1000

// ---------- the pure-JavaScript implementation ----------
const AXES = [
  ['plans', 'plan'],
  ['tenantSlugs', 'tenantSlug'],
  ['partnerSlugs', 'partnerSlug'],
  ['environments', 'environment'],
  ['userIds', 'userId'],
]
const CONTEXT_FIELDS = new Set(['tenantId', 'tenantSlug', 'plan', 'partnerSlug', 'environment', 'userId'])

function compileJs(flags) {
  return flags.map((f) => {
    const scope = f.scope ?? {}
    const axes = AXES.filter(([axis]) => (scope[axis] ?? []).length > 0).map(([axis, field]) => [field, new Set(scope[axis])])
    return { key: f.key, state: f.state, pct: f.pct ?? 0, level: f.level ?? 'tenant', axes }
  })
}

function jsBucket(subject, key) {
  return createHash('sha256').update(`${subject}:${key}`).digest().readUInt32BE(0) % 100
}

function jsEvaluateAll(compiled, ctx) {
  if (ctx === null || typeof ctx !== 'object' || Array.isArray(ctx)) throw new TypeError('context must be an object')
  for (const name in ctx) {
    if (!CONTEXT_FIELDS.has(name)) throw new TypeError(`unknown context field ${name}`)
    const v = ctx[name]
    if (v !== undefined && v !== null && typeof v !== 'string') throw new TypeError(`${name} must be a string`)
  }
  const out = {}
  for (const f of compiled) {
    let value = false
    if (f.state === 'on') value = true
    else if (f.state !== 'off') {
      let inScope = true
      for (const [field, allowed] of f.axes) {
        const v = ctx[field]
        if (v == null || !allowed.has(v)) {
          inScope = false
          break
        }
      }
      if (f.state === 'targeted') value = inScope && f.axes.length > 0
      else if (inScope && f.pct > 0) {
        const subject = f.level === 'user' ? ctx.userId : ctx.tenantId
        if (subject != null) value = f.pct >= 100 || jsBucket(subject, f.key) < f.pct
      }
    }
    out[f.key] = value
  }
  return out
}

// ---------- workload ----------
const PLANS = ['starter', 'business', 'enterprise']
const ENVS = ['prod', 'staging', 'dev']

function makeFlags(n) {
  const flags = []
  for (let i = 0; i < n; i++) {
    const key = `feature_${i}_rollout_flag`
    switch (i % 3) {
      case 0: // rollout, a third of them scoped to an environment
        flags.push({ key, state: 'rollout', pct: (i * 37) % 101, scope: i % 2 ? { environments: ['prod', 'staging'] } : {} })
        break
      case 1: // targeted on plans / partners
        flags.push({ key, state: 'targeted', scope: i % 2 ? { plans: [PLANS[i % 3], 'business'] } : { partnerSlugs: ['nordic-it'] } })
        break
      default:
        flags.push({ key, state: i % 2 ? 'on' : 'off', scope: {} })
    }
  }
  return flags
}

function makeContexts(n) {
  return Array.from({ length: n }, (_, i) => ({
    tenantId: (0x6650f1c2a9b4 + i).toString(16).padStart(24, '0'),
    tenantSlug: `tenant-${i}`,
    plan: PLANS[i % 3],
    partnerSlug: i % 4 === 0 ? 'nordic-it' : undefined,
    environment: ENVS[i % 3],
  }))
}

function measure(fn, contexts) {
  let i = 0
  let sink = 0
  // Warm up.
  const warmEnd = performance.now() + DURATION_MS / 4
  while (performance.now() < warmEnd) {
    for (let k = 0; k < 100; k++) sink += Object.keys(fn(contexts[i++ % contexts.length])).length
  }
  let calls = 0
  const start = performance.now()
  let now = start
  while (now - start < DURATION_MS) {
    for (let k = 0; k < 100; k++) sink += Object.keys(fn(contexts[i++ % contexts.length])).length
    calls += 100
    now = performance.now()
  }
  if (sink < 0) console.log(sink)
  return ((now - start) * 1000) / calls // µs per call
}

const ROUNDS = quick ? 1 : 5
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** Medians over ROUNDS rounds of each named measurement, run in turn (the order rotating per round). */
function rounds(cases, contexts) {
  const names = Object.keys(cases)
  const times = Object.fromEntries(names.map((name) => [name, []]))
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + round) % names.length]
      times[name].push(measure(cases[name], contexts))
    }
  }
  return Object.fromEntries(names.map((name) => [name, median(times[name])]))
}

const contexts = makeContexts(256)
const rows = []

// The fixed cost of one call: a set without flags, so nothing is evaluated.
{
  const empty = FlagSet.fromFlags([])
  const compiledContexts = contexts.map((ctx) => empty.compileContext(ctx))
  const t = {
    plain: rounds({ plain: (ctx) => empty.evaluateAll(ctx) }, contexts).plain,
    compiled: rounds({ compiled: (ctx) => empty.evaluateAll(ctx) }, compiledContexts).compiled,
    // The cheapest native call there is (a getter without arguments), for scale.
    getter: rounds({ getter: () => ({ n: empty.size }) }, contexts).getter,
  }
  console.log(
    `fixed cost of evaluateAll (0 flags): plain context ${t.plain.toFixed(3)} µs, compiled context ${t.compiled.toFixed(3)} µs; ` +
      `cheapest native call (FlagSet.size) ${t.getter.toFixed(3)} µs`,
  )
}

for (const n of [10, 100, 1000]) {
  const flags = makeFlags(n)
  const set = FlagSet.fromFlags(flags)
  const compiled = compileJs(flags)
  const compiledContexts = contexts.map((ctx) => set.compileContext(ctx))
  // Same answers before timing anything.
  for (const [i, ctx] of contexts.slice(0, 64).entries()) {
    const expected = jsEvaluateAll(compiled, ctx)
    assert.deepEqual(set.evaluateAll(ctx), expected)
    assert.deepEqual(set.evaluateAll(compiledContexts[i]), expected)
  }
  const t = rounds(
    {
      native: (ctx) => set.evaluateAll(ctx),
      js: (ctx) => jsEvaluateAll(compiled, ctx),
    },
    contexts,
  )
  const nativeCompiled = rounds({ c: (ctx) => set.evaluateAll(ctx) }, compiledContexts).c
  rows.push({
    flags: n,
    'native µs/call': t.native.toFixed(2),
    'native, compiled context µs/call': nativeCompiled.toFixed(2),
    'js µs/call': t.js.toFixed(2),
    'js/native': (t.js / t.native).toFixed(2),
    'js/native compiled': (t.js / nativeCompiled).toFixed(2),
  })
}

console.log(`evaluateAll, node ${process.version}, medians of ${ROUNDS} rounds of ${DURATION_MS} ms per measurement`)
console.table(rows)
for (const r of rows) {
  console.log(`${r.flags} flags: binding is ${r['js/native']}x the speed of pure JS (${r['js/native compiled']}x with a compiled context)`)
}
