/**
 * DELETE /api/tenants/:slug/sso-apps/:app: a tenant admin deletes an SSO app
 * (`SsoApps.deleteApp`): its group bindings, the application, then the OAuth2
 * provider, and the record. A step that fails answers its upstream status and
 * keeps the record; calling again resumes. Calling again after a delete
 * finds no record: 404.
 */
export default defineApiHandler(async (event, caller) => {
  await readJsonObject(event, [])
  const tenant = tenantBySlug(param(event, 'slug'))
  const app = ssoAppBySlug(tenant, param(event, 'app'))
  const deletion = await useSsoApps().deleteApp(tenant, app, caller)
  if (deletion.deleteFilter) useDb().ssoApps.delete(app._id)
  record(deletion.events)
  return { deleted: app.slug, steps: deletion.steps }
})
