import { FlagSet, FlagStore } from '@dezky/sdk'

// The example's flags, bundled into the server at build time.
import bundledFlags from '../../flags/flags.json'

let store: Promise<FlagStore> | undefined

/**
 * The process-wide flag store. With DEZKY_FLAGS_FILE set, flags are loaded from
 * that file and refreshed in the background; otherwise the bundled flags are
 * served as a fixed set.
 */
export function useFlagStore(): Promise<FlagStore> {
  store ??= (async () => {
    const path = process.env.DEZKY_FLAGS_FILE
    if (path) {
      const fromFile = await FlagStore.fromFile(path, { intervalMs: 5000 })
      fromFile.start()
      return fromFile
    }
    return new FlagStore(FlagSet.fromFlags(bundledFlags))
  })()
  return store
}
