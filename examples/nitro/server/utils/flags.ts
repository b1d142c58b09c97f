import { FlagSet, FlagStore } from '@dezky/sdk'

let store: Promise<FlagStore> | undefined

/**
 * The process-wide flag store. With DEZKY_FLAGS_FILE set, flags are loaded from
 * that file and refreshed in the background; otherwise the example's bundled
 * flags are served as a fixed set.
 */
export function useFlagStore(): Promise<FlagStore> {
  store ??= (async () => {
    const path = process.env.DEZKY_FLAGS_FILE
    if (path) {
      const fromFile = await FlagStore.fromFile(path, { intervalMs: 5000 })
      fromFile.start()
      return fromFile
    }
    const text = await useStorage('assets:flags').getItemRaw('flags.json')
    return new FlagStore(FlagSet.fromJson(Buffer.from(text).toString('utf8')))
  })()
  return store
}
