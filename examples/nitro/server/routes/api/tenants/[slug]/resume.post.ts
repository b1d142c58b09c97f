import { requireOperator } from '@dezky/sdk'

/**
 * POST /api/tenants/:slug/resume: the operator app only (an operator token and
 * a platform admin). A status the lifecycle does not allow is a 409
 * (`DEZKY_ILLEGAL_TRANSITION`).
 */
export default defineApiHandler(async (event, { actor, user }) => {
  requireOperator(actor, user)
  await readJsonObject(event, [])
  const tenant = tenantBySlug(param(event, 'slug'))
  const report = await useProvisioner().resume(tenant, changedBy(actor))
  const saved = saveTenant(tenant, report.patch)
  record(report.events)
  return { tenant: saved, report }
})
