import { requireTenantAdmin } from '@dezky/sdk'

/**
 * POST /api/tenants/:slug/reconcile `{dryRun?}`: a tenant admin (or platform
 * admin) retries provisioning: the tenant's upstream resources are brought in
 * line with its document.
 */
export default defineApiHandler(async (event, { actor, user }) => {
  const tenant = tenantBySlug(param(event, 'slug'))
  requireTenantAdmin(actor, user, tenant)
  const body = await readJsonObject(event, ['dryRun'])
  const report = await useProvisioner().reconcile(tenant, changedBy(actor), body.dryRun === undefined ? null : { dryRun: body.dryRun as boolean })
  const saved = saveTenant(tenant, report.patch)
  record(report.events)
  knowTenantGroup(saved)
  return { tenant: saved, report }
})
