import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

export const { DezkyProvider, toDezkyContext } = require('./openfeature.cjs')
