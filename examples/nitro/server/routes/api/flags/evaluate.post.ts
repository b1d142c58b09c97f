import { DezkyError, ErrorCode, flagContext, requireTenantMember } from '@dezky/sdk'

/**
 * POST /api/flags/evaluate `{tenant?: slug}`: `{key: boolean}` for every flag,
 * for one of the caller's tenants. The evaluation context is built here from
 * the tenant record and its partner (`flagContext`) and the verified caller,
 * never from the body: the body only picks which of the caller's tenants
 * (needed when they have several), and any other field is refused.
 */
export default defineApiHandler(async (event, { actor, user }) => {
  const body = await readJsonObject(event, ['tenant'])
  let tenant
  if (body.tenant === undefined) {
    const ids: string[] = (user.tenantIds ?? []).map(idOf)
    if (ids.length !== 1) {
      const reason = 'name the tenant: the caller has ' + (ids.length ? 'several' : 'none')
      throw new DezkyError(ErrorCode.INVALID_ARGUMENT, `tenant: ${reason}`, { argument: 'body', field: 'tenant', reason })
    }
    tenant = useDb().tenants.get(ids[0])
    if (!tenant) throw new DezkyError(ErrorCode.NOT_FOUND, 'the caller\'s tenant does not exist', { reason: 'no such tenant' })
  } else if (typeof body.tenant === 'string') {
    tenant = tenantBySlug(body.tenant)
  } else {
    const reason = 'must be a tenant slug'
    throw new DezkyError(ErrorCode.INVALID_ARGUMENT, `tenant: ${reason}`, { argument: 'body', field: 'tenant', reason })
  }
  requireTenantMember(actor, user, tenant)
  const context = flagContext(tenant, partnerOf(tenant), process.env.DEZKY_ENVIRONMENT || 'prod')
  const store = await useFlagStore()
  return store.evaluateAll({ ...context, userId: user._id })
})
