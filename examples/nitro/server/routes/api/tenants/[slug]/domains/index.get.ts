/**
 * GET /api/tenants/:slug/domains: the tenant's mail domains (a tenant member),
 * from its domain documents (`Domains.listDomains`): name, status, whether
 * primary, whether the tenant set its own DMARC policy. No token is listed.
 */
export default defineApiHandler((event, caller) => {
  const tenant = tenantBySlug(param(event, 'slug'))
  return useDomains().listDomains(tenant, domainsOf(tenant), caller)
})
