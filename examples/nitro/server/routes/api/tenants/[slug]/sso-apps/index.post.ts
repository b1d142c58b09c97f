import { DezkyError, ErrorCode, requireTenantAdmin } from '@dezky/sdk'

/**
 * POST /api/tenants/:slug/sso-apps `{name, slug, redirectUris, launchUrl?}`: a
 * tenant admin creates an SSO app bound to the tenant's group (`createSsoApp`
 * in server/utils/sdk.ts). Answers 201 with the record the server keeps
 * (`tenantSsoApps`, no client secret) and the client secret, shown this once.
 * A slug the tenant uses already is a 409 (the collection's unique index).
 */
export default defineApiHandler(async (event, { actor, user }) => {
  const tenant = tenantBySlug(param(event, 'slug'))
  requireTenantAdmin(actor, user, tenant)
  const body = await readJsonObject(event, ['name', 'slug', 'redirectUris', 'launchUrl'])
  const name = stringField(body, 'name') as string
  const slug = stringField(body, 'slug') as string
  const redirectUris = stringsField(body, 'redirectUris')
  const launchUrl = stringField(body, 'launchUrl', true)
  if (!name.trim()) throw invalidField('name', 'must not be empty')
  if (!/^[A-Za-z0-9_-]{1,50}$/.test(slug)) throw invalidField('slug', 'must be 1 to 50 characters of letters, digits, - and _')
  if (redirectUris.length === 0) throw invalidField('redirectUris', 'name at least one redirect URI')
  redirectUris.forEach((uri, i) => {
    if (!URL.canParse(uri)) throw invalidField(`redirectUris[${i}]`, 'must be an absolute URL')
  })
  if (launchUrl !== undefined && !URL.canParse(launchUrl)) throw invalidField('launchUrl', 'must be an absolute URL')
  const group = tenant.authentikGroupId
  if (typeof group !== 'string') {
    throw new DezkyError(ErrorCode.INVALID_ARGUMENT, 'tenant.authentikGroupId: the tenant has no group yet (reconcile it)', {
      argument: 'tenant',
      field: 'tenant.authentikGroupId',
      reason: 'the tenant has no group yet',
    })
  }
  for (const a of useDb().ssoApps.values()) {
    if (a.slug === slug) throw new DezkyError(ErrorCode.ALREADY_EXISTS, `SSO app ${slug} exists already`, { reason: 'slug taken' })
  }
  const app = await createSsoApp({ name, slug, redirectUris, groupPk: group, launchUrl })
  const stored = {
    _id: newObjectId(),
    tenantId: idOf(tenant._id),
    name,
    slug: app.application.slug,
    applicationPk: app.application.pk,
    providerPk: app.providerPk,
    clientId: app.clientId,
    issuer: app.issuer,
    redirectUris,
    launchUrl: launchUrl ?? null,
  }
  useDb().ssoApps.set(stored._id, stored)
  setResponseStatus(event, 201)
  return { ssoApp: stored, clientSecret: app.clientSecret }
})
