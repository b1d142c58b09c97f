// Verification of one valid access token, RS256 (RSA 2048) and ES256 (P-256):
// the binding's TokenVerifier.verifyToken vs `jose` (jwtVerify with a local
// JWK set) in the same script, on the same token and key, keys cached on both
// sides (jose: createLocalJWKSet once; the binding: after its first
// verification, which reads discovery and JWKS from a local server on
// 127.0.0.1). Each is measured one at a time (each awaited) and with 64
// verifications in flight (Promise.all).
//
//   node bench/verify.mjs [--quick]
//
// Both sides check the same things: signature (key by kid), issuer, audience,
// exp/nbf/iat with 30 s tolerance, and read sub/email/name/groups.
import assert from 'node:assert/strict'
import { monitorEventLoopDelay } from 'node:perf_hooks'

import { createLocalJWKSet, jwtVerify } from 'jose'

import { TokenVerifier } from '../lib/index.mjs'
import { EC_256, RSA_A, claims, sign, startProvider } from '../__test__/auth_support.mjs'

const quick = process.argv.includes('--quick')
const DURATION_MS = quick ? 200 : 1500
const ROUNDS = quick ? 1 : 5
const BATCH = 64

const provider = await startProvider([RSA_A, EC_256])
const issuer = provider.issuer('dezky-portal')
const verifier = new TokenVerifier({ issuers: issuer, audiences: 'dezky-portal' })
const jwks = createLocalJWKSet({ keys: [RSA_A.jwk, EC_256.jwk] })

function sides(key) {
  const token = sign(key, claims(issuer, { exp: Math.floor(Date.now() / 1000) + 3600 }))
  return {
    async binding() {
      const actor = await verifier.verifyToken(token)
      return actor.subject
    },
    async jose() {
      const { payload } = await jwtVerify(token, jwks, {
        issuer,
        audience: 'dezky-portal',
        algorithms: [key.alg],
        clockTolerance: 30,
        requiredClaims: ['exp', 'sub'],
      })
      const actor = {
        subject: payload.sub,
        email: payload.email,
        name: payload.name ?? payload.preferred_username,
        groups: payload.groups ?? [],
      }
      return actor.subject
    },
  }
}

/** Sequential awaited calls for DURATION_MS; returns µs per call. */
async function measure(fn) {
  for (let i = 0; i < 200; i++) await fn()
  let n = 0
  const start = process.hrtime.bigint()
  const end = start + BigInt(DURATION_MS) * 1_000_000n
  let now = start
  while (now < end) {
    for (let i = 0; i < 50; i++) await fn()
    n += 50
    now = process.hrtime.bigint()
  }
  return Number(now - start) / 1000 / n
}

/** The same with BATCH verifications in flight at once (Promise.all); µs per verification. */
async function measureBatch(fn) {
  const batch = () => Promise.all(Array.from({ length: BATCH }, fn))
  for (let i = 0; i < 5; i++) await batch()
  let n = 0
  const start = process.hrtime.bigint()
  const end = start + BigInt(DURATION_MS) * 1_000_000n
  let now = start
  while (now < end) {
    await batch()
    n += BATCH
    now = process.hrtime.bigint()
  }
  return Number(now - start) / 1000 / n
}

/**
 * How long the event loop stalls while batches of BATCH verifications run:
 * the largest delay of Node's event-loop delay monitor (a 1 ms timer), in µs.
 * A verification on the JavaScript thread holds the loop for as long as it
 * takes; one on another thread does not.
 */
async function worstLoopDelay(fn) {
  const histogram = monitorEventLoopDelay({ resolution: 1 })
  histogram.enable()
  const end = performance.now() + DURATION_MS
  while (performance.now() < end) {
    await Promise.all(Array.from({ length: BATCH }, fn))
    // Let the monitor's timer run between batches.
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
  histogram.disable()
  return histogram.max / 1000
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
console.log(`verify one token, median of ${ROUNDS} rounds of ${DURATION_MS} ms (µs per verification)`)
for (const key of [RSA_A, EC_256]) {
  const fns = sides(key)
  // Same answer on both sides; this also fills the binding's key cache.
  assert.equal(await fns.binding(), 'sub-alice')
  assert.equal(await fns.jose(), 'sub-alice')
  const results = { binding: [], jose: [], bindingBatch: [], joseBatch: [] }
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate the order so that neither side always runs on a warmer machine.
    const order = round % 2 === 1 ? ['jose', 'binding'] : ['binding', 'jose']
    for (const name of order) results[name].push(await measure(fns[name]))
    for (const name of order) results[`${name}Batch`].push(await measureBatch(fns[name]))
  }
  for (const [label, suffix] of [['one at a time (await each)', ''], [`${BATCH} in flight (Promise.all)`, 'Batch']]) {
    const binding = median(results[`binding${suffix}`])
    const jose = median(results[`jose${suffix}`])
    console.log(`  ${key.alg} ${label}: binding ${binding.toFixed(2)} µs, jose ${jose.toFixed(2)} µs, jose/binding = ${(jose / binding).toFixed(2)}x`)
  }
  const stall = { binding: await worstLoopDelay(fns.binding), jose: await worstLoopDelay(fns.jose) }
  console.log(`  ${key.alg} longest event-loop delay with ${BATCH} in flight: binding ${stall.binding.toFixed(0)} µs, jose ${stall.jose.toFixed(0)} µs`)
}
assert.equal(provider.state.requests, 1, 'the binding read the JWKS again')
await provider.close()
console.log('  (jose/binding above 1: the binding is faster)')
