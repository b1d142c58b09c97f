import type { EvaluationContext, JsonValue, OpenFeatureEventEmitter, Provider, ResolutionDetails } from '@openfeature/server-sdk'
import type { EvaluationContext as DezkyContext, FlagStore } from './index'

/**
 * An OpenFeature server provider over a Dezky `FlagStore`: boolean flags only
 * (variants `on`/`off`), `targetingKey` = tenant id, FLAG_NOT_FOUND for unknown
 * keys, TYPE_MISMATCH for string/number/object requests, and
 * PROVIDER_CONFIGURATION_CHANGED (with `flagsChanged`) whenever the store swaps in a changed set.
 */
export declare class DezkyProvider implements Provider {
  constructor(store: FlagStore)
  readonly metadata: { readonly name: 'dezky' }
  readonly runsOn: 'server'
  readonly events: OpenFeatureEventEmitter
  readonly store: FlagStore
  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: EvaluationContext): Promise<ResolutionDetails<boolean>>
  resolveStringEvaluation(flagKey: string, defaultValue: string, context: EvaluationContext): Promise<ResolutionDetails<string>>
  resolveNumberEvaluation(flagKey: string, defaultValue: number, context: EvaluationContext): Promise<ResolutionDetails<number>>
  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T, context: EvaluationContext): Promise<ResolutionDetails<T>>
  onClose(): Promise<void>
}

/** Maps an OpenFeature evaluation context onto a Dezky context. */
export declare function toDezkyContext(context: EvaluationContext | undefined): DezkyContext
