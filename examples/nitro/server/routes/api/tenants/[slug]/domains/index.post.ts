import { DezkyError, ErrorCode } from '@dezky/sdk'

/**
 * POST /api/tenants/:slug/domains `{name}`: a tenant admin adds a mail domain
 * (`Domains.addDomain`: the domain on the mail server, its DKIM keys awaited,
 * the records to publish). Answers 201 with the domain, the expected records
 * (the `_dezky-challenge` ownership TXT last) and the ownership token to
 * publish. The SDK checks the rights, the tenant's status and the name
 * (`domain.name`); a name another tenant holds on the mail server, or a
 * domain document of that name, is a 409. A mail-server failure part-way
 * leaves nothing this call made; a domain an earlier call made on the mail
 * server without storing its document is adopted.
 */
export default defineApiHandler(async (event, caller) => {
  const tenant = tenantBySlug(param(event, 'slug'))
  const body = await readJsonObject(event, ['name'])
  const name = stringField(body, 'name') as string
  const added = await useDomains().addDomain(tenant, name, caller)
  const { domains } = useDb()
  for (const d of domains.values()) {
    if (d.name === added.document.name) {
      // The domains collection's unique index on the name.
      throw new DezkyError(ErrorCode.ALREADY_EXISTS, `domain ${d.name} exists already`, { reason: 'name taken' })
    }
  }
  const stored = { ...added.document, _id: newObjectId() }
  domains.set(stored._id, stored)
  if (added.tenantPatch.update) saveTenant(tenant, added.tenantPatch)
  record(added.events)
  setResponseStatus(event, 201)
  return {
    domain: { name: stored.name, status: stored.status },
    adopted: added.adopted,
    expected: added.expected,
    dkimSelectors: added.dkimSelectors,
    ownershipToken: ownershipTokenOf(added),
  }
})
