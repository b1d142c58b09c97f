/**
 * DELETE /api/tenants/:slug/domains/:domain: a tenant admin removes a mail
 * domain (`Domains.removeDomain`). The primary domain, and a domain that
 * mailboxes, aliases or mailing lists still use, are refused with 409
 * `DEZKY_IN_USE` (`linked` names the accounts). Calling again after a
 * failure is safe.
 */
export default defineApiHandler(async (event, caller) => {
  await readJsonObject(event, [])
  const tenant = tenantBySlug(param(event, 'slug'))
  const domain = domainByName(tenant, param(event, 'domain'))
  const removal = await useDomains().removeDomain(tenant, domain, caller)
  if (removal.tenantPatch.update) saveTenant(tenant, removal.tenantPatch)
  if (removal.deleteFilter) useDb().domains.delete(domain._id)
  record(removal.events)
  return { removed: domain.name }
})
