import { attachTenant } from '@dezky/sdk'

/**
 * POST /api/partners/:slug/tenants `{tenant}`: the operator app attaches a
 * tenant (by slug) to the partner (`attachTenant`). A terminated partner is
 * refused (400 naming `partner.status`); attaching again changes nothing.
 */
export default defineApiHandler(async (event, caller) => {
  const partner = partnerBySlug(param(event, 'slug'))
  const body = await readJsonObject(event, ['tenant'])
  const tenant = tenantBySlug(stringField(body, 'tenant') as string)
  const change = attachTenant(tenant, partner, caller)
  const saved = change.patch.update ? saveTenant(tenant, change.patch) : tenant
  record(change.events)
  return { tenant: saved }
})
