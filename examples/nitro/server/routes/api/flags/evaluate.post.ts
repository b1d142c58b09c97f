import { DezkyError } from '@dezky/sdk'

/**
 * POST a context ({tenantId, tenantSlug, plan, partnerSlug, environment, userId}),
 * get `{key: boolean}` for every flag. An invalid context is a 400 whose body
 * carries the SDK's stable error code and the offending field.
 */
export default defineEventHandler(async (event) => {
  const context = await readBody(event)
  const store = await useFlagStore()
  try {
    return store.evaluateAll(context ?? {})
  } catch (error) {
    if (error instanceof DezkyError) {
      throw createError({
        statusCode: 400,
        statusMessage: 'Invalid evaluation context',
        data: { code: error.code, field: error.field, message: error.message },
      })
    }
    throw error
  }
})
