import { DezkyError, ErrorCode, detachTenant } from '@dezky/sdk'

/**
 * DELETE /api/partners/:slug/tenants/:tenant: the operator app detaches a
 * tenant from the partner (`detachTenant`: `partnerId` removed from the
 * document). A tenant of another partner is a 404 here.
 */
export default defineApiHandler(async (event, caller) => {
  await readJsonObject(event, [])
  const partner = partnerBySlug(param(event, 'slug'))
  const tenant = tenantBySlug(param(event, 'tenant'))
  if (!tenant.partnerId || idOf(tenant.partnerId) !== partner._id) {
    throw new DezkyError(ErrorCode.NOT_FOUND, `tenant ${tenant.slug} is not a customer of ${partner.slug}`, { reason: 'not this partner\'s tenant' })
  }
  const change = detachTenant(tenant, caller)
  const saved = change.patch.update ? saveTenant(tenant, change.patch) : tenant
  record(change.events)
  return { tenant: saved }
})
