'use strict'
// An OpenFeature server provider over a Dezky FlagStore. Evaluation and the
// reason mapping (Reason::openfeature_reason) come from the native binding;
// this file only adapts shapes and error types to the OpenFeature SDK.

const {
  FlagNotFoundError,
  InvalidContextError,
  OpenFeatureEventEmitter,
  ProviderEvents,
  TypeMismatchError,
} = require('@openfeature/server-sdk')
const { DezkyError, ErrorCode } = require('./index.cjs')

/** The OpenFeature context attributes copied into the Dezky context. */
const ATTRIBUTES = ['tenantId', 'tenantSlug', 'plan', 'partnerSlug', 'environment', 'userId']

/**
 * Maps an OpenFeature evaluation context onto a Dezky one: `targetingKey` is the
 * tenant id (an explicit `tenantId` attribute is used when there is no targeting
 * key); the other attributes keep their names. Attributes Dezky does not know
 * are ignored, since OpenFeature contexts commonly carry more than one provider needs.
 */
function toDezkyContext(context) {
  const out = {}
  if (context == null) return out
  for (const name of ATTRIBUTES) {
    if (context[name] !== undefined && context[name] !== null) out[name] = context[name]
  }
  if (context.targetingKey !== undefined && context.targetingKey !== null) out.tenantId = context.targetingKey
  return out
}

class DezkyProvider {
  /**
   * @param {import('./index').FlagStore} store the store to evaluate against; its
   *   refreshes (and `replace` calls) are announced as PROVIDER_CONFIGURATION_CHANGED.
   */
  constructor(store) {
    if (store == null || typeof store.evaluate !== 'function' || typeof store.onChange !== 'function') {
      throw new DezkyError(ErrorCode.INVALID_ARGUMENT, 'invalid argument `store`: must be a FlagStore', {
        argument: 'store',
      })
    }
    this.metadata = { name: 'dezky' }
    this.runsOn = 'server'
    this.events = new OpenFeatureEventEmitter()
    this.store = store
    this.subscription = store.onChange((flagsChanged) => {
      this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged })
    })
  }

  evaluateBoolean(flagKey, context) {
    let evaluation
    try {
      evaluation = this.store.evaluate(flagKey, toDezkyContext(context))
    } catch (error) {
      if (error instanceof DezkyError && error.code === ErrorCode.INVALID_CONTEXT) {
        throw new InvalidContextError(error.message)
      }
      throw error
    }
    if (evaluation.reason === 'flag_not_found') {
      throw new FlagNotFoundError(`flag ${JSON.stringify(flagKey)} not found`)
    }
    return evaluation
  }

  async resolveBooleanEvaluation(flagKey, _defaultValue, context) {
    const evaluation = this.evaluateBoolean(flagKey, context)
    const flagMetadata = { dezkyReason: evaluation.reason, killed: evaluation.killed }
    if (evaluation.bucket !== undefined && evaluation.bucket !== null) flagMetadata.bucket = evaluation.bucket
    return {
      value: evaluation.value,
      variant: evaluation.variant,
      reason: evaluation.openFeatureReason,
      flagMetadata,
    }
  }

  mismatch(flagKey, context, type) {
    // An unknown key is FLAG_NOT_FOUND whatever type was asked for.
    this.evaluateBoolean(flagKey, context)
    throw new TypeMismatchError(`flag ${JSON.stringify(flagKey)} is boolean, not ${type}`)
  }

  async resolveStringEvaluation(flagKey, _defaultValue, context) {
    return this.mismatch(flagKey, context, 'string')
  }

  async resolveNumberEvaluation(flagKey, _defaultValue, context) {
    return this.mismatch(flagKey, context, 'number')
  }

  async resolveObjectEvaluation(flagKey, _defaultValue, context) {
    return this.mismatch(flagKey, context, 'object')
  }

  /** Stops announcing the store's changes; the store itself stays open. */
  async onClose() {
    this.subscription.unsubscribe()
  }
}

module.exports = { DezkyProvider, toDezkyContext }
