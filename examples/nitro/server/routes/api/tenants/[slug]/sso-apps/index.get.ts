/**
 * GET /api/tenants/:slug/sso-apps: the SSO apps bound to the tenant's group
 * (a tenant admin; `SsoApps.listApps`), by slug, each with the control
 * plane's record of it when there is one (never a client secret).
 */
export default defineApiHandler(async (event, caller) => {
  const tenant = tenantBySlug(param(event, 'slug'))
  const bound = await useSsoApps().listApps(tenant, caller)
  const records = new Map(
    [...useDb().ssoApps.values()].filter((a) => idOf(a.tenantId) === idOf(tenant._id)).map((a) => [a.slug, a]),
  )
  return bound.map(({ application, bindingPk }) => ({ application, bindingPk, record: records.get(application.slug) ?? null }))
})
