/**
 * POST /api/tenants/:slug/domains/:domain/recheck: checks the domain's records
 * in DNS (a tenant member; `Domains.verifyDomain` against the nameservers of
 * `dnsResolver`) and stores the status: `verified` when every expected record
 * and the ownership TXT are found, `failing` for a verified domain that no
 * longer passes, `pending` otherwise. Answers the status and the report.
 */
export default defineApiHandler(async (event, caller) => {
  await readJsonObject(event, [])
  const tenant = tenantBySlug(param(event, 'slug'))
  const domain = domainByName(tenant, param(event, 'domain'))
  const check = await useDomains().verifyDomain(tenant, domain, caller, dnsResolver())
  const saved = saveDomain(domain, check.patch)
  record(check.events)
  return {
    domain: { name: saved.name, status: saved.status, verifiedAt: saved.verifiedAt ?? null, lastCheckedAt: saved.lastCheckedAt ?? null },
    report: check.report,
  }
})
