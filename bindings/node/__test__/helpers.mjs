// Shared fixtures for the tests. Loads the package through its public ESM entry.
import assert from 'node:assert/strict'

export * from '../lib/index.mjs'

export const TENANT = '6650f1c2a9b4e3d2c1b0a998'

/** A small set exercising every state (buckets per the contract vectors). */
export const FLAGS = [
  { key: 'gdpr_export_v2', description: 'GDPR export', state: 'rollout', pct: 25, scope: {}, history: [] },
  { key: 'new_billing_engine', state: 'rollout', pct: 10, scope: {} },
  { key: 'jmap_native_v2', state: 'targeted', scope: { plans: ['business'] } },
  { key: 'partner_portal', state: 'targeted', scope: { partnerSlugs: ['nordic-it'] } },
  { key: 'always_on', state: 'on' },
  { key: 'always_off', state: 'off', _id: 'abc123', createdAt: '2025-01-01T00:00:00Z' },
]

export const CONTEXT = { tenantId: TENANT, tenantSlug: 'acme', plan: 'business', environment: 'prod' }

/** Asserts that `fn` throws (or rejects with) a DezkyError with `code`, and returns it. */
export async function assertCode(fn, code, details = {}) {
  let caught
  try {
    await fn()
  } catch (error) {
    caught = error
  }
  assert.ok(caught, `expected ${code}, but nothing was thrown`)
  assert.ok(caught instanceof Error, `expected an Error, got ${caught}`)
  assert.equal(caught.code, code, `wrong code for: ${caught.message}`)
  assert.equal(caught.name, 'DezkyError')
  for (const [name, value] of Object.entries(details)) {
    assert.equal(caught[name], value, `error.${name} (${caught.message})`)
  }
  return caught
}
