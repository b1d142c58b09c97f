import { DezkyError, ErrorCode, newTenant, requirePlatformAdmin } from '@dezky/sdk'

/**
 * POST /api/tenants `{slug, name, plan, domains?}`: a platform admin creates a
 * tenant; it is stored `pending` and provisioned on every upstream at once.
 * Answers 201 with the tenant and the provisioning report.
 */
export default defineApiHandler(async (event, { actor, user }) => {
  requirePlatformAdmin(actor, user)
  const body = await readJsonObject(event, ['slug', 'name', 'plan', 'domains'])
  let tenant = newTenant(newObjectId(), body.slug as string, body.name as string, body.plan as string)
  if (body.domains !== undefined) tenant = { ...tenant, domains: body.domains as string[] }
  for (const t of useDb().tenants.values()) {
    if (t.slug === tenant.slug) {
      // The database's unique index on the slug.
      throw new DezkyError(ErrorCode.ALREADY_EXISTS, `tenant ${tenant.slug} exists already`, { reason: 'slug taken' })
    }
  }
  useDb().tenants.set(idOf(tenant._id), tenant)
  const report = await useProvisioner().provision(tenant, changedBy(actor))
  const saved = saveTenant(tenant, report.patch)
  record(report.events)
  knowTenantGroup(saved)
  setResponseStatus(event, 201)
  return { tenant: saved, report }
})
