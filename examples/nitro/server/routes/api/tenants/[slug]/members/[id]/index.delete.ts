/**
 * DELETE /api/tenants/:slug/members/:id: removes a member from the tenant (what
 * their other tenants use is kept). Never oneself. A removal stopped by an
 * upstream failure answers 200 with `complete: false`; calling again resumes.
 */
export default defineApiHandler(async (event, caller) => {
  const tenant = tenantBySlug(param(event, 'slug'))
  const member = userById(param(event, 'id'))
  const removal = await useMembers().removeMember(tenant, member, caller)
  if (removal.deleteDocument) useDb().users.delete(member._id)
  else if (removal.complete) saveUser(member, removal.patch)
  record(removal.events)
  return { complete: removal.complete, deleted: removal.deleteDocument, steps: removal.steps }
})
