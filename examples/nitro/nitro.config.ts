import { defineNitroConfig } from 'nitropack/config'

export default defineNitroConfig({
  srcDir: 'server',
  compatibilityDate: '2025-01-01',
  preset: 'node-server',
  // The flag file shipped with the example; DEZKY_FLAGS_FILE points elsewhere at run time.
  serverAssets: [{ baseName: 'flags', dir: './flags' }],
  // @dezky/sdk loads a native addon: keep it out of the bundle; Nitro traces it
  // (and its .node binary) into .output/server/node_modules.
  externals: { external: ['@dezky/sdk'] },
})
