import { FlagSet, FlagStore } from '@dezky/sdk'

// The example's flags, bundled into the server at build time.
import bundledFlags from '../../flags/flags.json'

let store: Promise<FlagStore> | undefined

/**
 * The process-wide flag store. With DEZKY_FLAGS_URL set, flags come from the
 * control plane's GET /flags (bearer token DEZKY_FLAGS_TOKEN), revalidated with
 * ETags in the background; with DEZKY_FLAGS_FILE set, from that file, refreshed
 * in the background; otherwise the bundled flags are served as a fixed set.
 */
export function useFlagStore(): Promise<FlagStore> {
  store ??= (async () => {
    const url = process.env.DEZKY_FLAGS_URL
    if (url) {
      const fromHttp = await FlagStore.fromHttp(url, { token: process.env.DEZKY_FLAGS_TOKEN || undefined, intervalMs: 5000 })
      fromHttp.start()
      return fromHttp
    }
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
