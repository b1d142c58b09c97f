import { DezkyError, ErrorCode, createPartner } from '@dezky/sdk'

/**
 * POST /api/partners `{slug, name, domain?, marginPct?}`: the operator app
 * creates a partner (`createPartner`: an operator, every field checked and
 * named `partner.<field>`, unknown fields refused). Answers 201 with the
 * partner; a slug taken is a 409 (the collection's unique index).
 */
export default defineApiHandler(async (event, caller) => {
  const body = await readJsonObject(event, ['slug', 'name', 'domain', 'marginPct'])
  const created = createPartner(body as any, caller)
  const document = { ...created.document, _id: newObjectId() } as any
  for (const p of useDb().partners.values()) {
    if (p.slug === document.slug) {
      throw new DezkyError(ErrorCode.ALREADY_EXISTS, `partner ${document.slug} exists already`, { reason: 'slug taken' })
    }
  }
  useDb().partners.set(document._id, document)
  record(created.events)
  setResponseStatus(event, 201)
  return { partner: document }
})
