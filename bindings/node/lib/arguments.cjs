'use strict'
// Arguments of the wrong type. The native functions declare typed parameters,
// so napi's own conversions refuse a wrong value with an error coded by napi's
// status (`StringExpected`, `NumberExpected`, `InvalidArg`, ...). This module
// wraps the native functions and classes once, generically, and turns those
// errors into DezkyError `DEZKY_INVALID_ARGUMENT` with `argument` (the
// parameter's name) and `field` (its path: `options.timeoutMs` when napi names
// a field of an options object). Parameter names and types come from the
// generated declarations (../index.d.ts), read the first time they are needed.

const { readFileSync } = require('node:fs')
const { join } = require('node:path')

/** napi's statuses for a value that does not convert (below `GenericFailure`). */
const NAPI_ARGUMENT_CODES = new Set([
  'InvalidArg',
  'ObjectExpected',
  'StringExpected',
  'NameExpected',
  'FunctionExpected',
  'NumberExpected',
  'BooleanExpected',
  'ArrayExpected',
  'BigintExpected',
  'DateExpected',
  'ArrayBufferExpected',
  'DetachableArraybufferExpected',
])

/** napi's status names as it embeds them in nested messages ("... `Reason`. StringExpected, ..."). */
const STATUS_WORDS = new RegExp(`\\b(?:${[...NAPI_ARGUMENT_CODES].join('|')})\\b[,.:]?\\s*`, 'g')

/** Splits `text` at `separator` outside brackets and quotes. */
function splitTop(text, separator) {
  const parts = []
  let depth = 0
  let quote = null
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quote) {
      if (c === quote) quote = null
    } else if (c === "'" || c === '"') quote = c
    else if ('<({['.includes(c)) depth++
    else if ('>)}]'.includes(c)) depth--
    else if (c === separator && depth === 0) {
      parts.push(text.slice(start, i).trim())
      start = i + 1
    }
  }
  const last = text.slice(start).trim()
  if (last) parts.push(last)
  return parts
}

function signature(params, returns) {
  return {
    params: splitTop(params, ',').map((param) => {
      const [, name, optional, type] = /^(\w+)(\?)?:\s*([\s\S]*)$/.exec(param) ?? [null, param, '', 'unknown']
      return { name, optional: optional === '?', types: splitTop(type, '|') }
    }),
    promise: (returns ?? '').startsWith('Promise<'),
  }
}

let declarations
/** One-line type aliases (`export type Step = 'a' | 'b'`) of both declaration files, by name. */
const aliases = new Map()
/** `Class.method`, `Class.constructor` and function names to their signatures. */
function signatures() {
  if (declarations) return declarations
  declarations = new Map()
  let text = ''
  try {
    text = readFileSync(join(__dirname, '..', 'index.d.ts'), 'utf8')
  } catch {
    // Without the declarations the error still has its code, only no name.
  }
  let layer = ''
  try {
    layer = readFileSync(join(__dirname, 'index.d.ts'), 'utf8')
  } catch {
    // The hand-written layer only adds aliases.
  }
  for (const line of `${text}\n${layer}`.split('\n')) {
    const m = /^\s*export type (\w+) = ([^{};]+)$/.exec(line)
    if (m) aliases.set(m[1], splitTop(m[2], '|'))
  }
  let owner = null
  for (const line of text.split('\n')) {
    let m
    if ((m = /^export declare class (\w+)/.exec(line))) owner = m[1]
    else if (line.startsWith('}')) owner = null
    else if ((m = /^export declare function (\w+)\((.*)\): (.*)$/.exec(line))) declarations.set(m[1], signature(m[2], m[3]))
    else if (owner && (m = /^ {2}(?:static )?(\w+)\((.*)\)(?:: (.*))?$/.exec(line))) {
      declarations.set(`${owner}.${m[1]}`, signature(m[2], m[3]))
    }
  }
  return declarations
}

/** Whether `value` has one of the declared TypeScript types (checked shallowly). */
function fits(value, param) {
  if (value === undefined || value === null) {
    return param.optional || param.types.includes('undefined') || param.types.includes('null')
  }
  const types = param.types.flatMap((type) => aliases.get(type) ?? [type])
  return types.some((type) => {
    if (type.startsWith("'")) return value === type.slice(1, -1)
    if (type === 'string') return typeof value === 'string'
    if (type === 'number') return typeof value === 'number'
    if (type === 'boolean') return typeof value === 'boolean'
    if (type.endsWith('[]') || type.startsWith('Array<')) return Array.isArray(value)
    return typeof value === 'object' && !Array.isArray(value)
  })
}

/**
 * The DezkyError for napi's refusal of an argument of `name` (`Class.method`),
 * or `error` itself when it is not such a refusal.
 */
function argumentError(error, name, args, makeError) {
  if (!(error instanceof Error) || !NAPI_ARGUMENT_CODES.has(error.code)) return error
  const params = signatures().get(name)?.params ?? []
  const reason = error.message.replace(STATUS_WORDS, '')
  // napi names object fields: "Missing field `email`", "... on AuthentikNewUser.email"
  // (nested: "... on Inner.field on Outer.inner").
  const missing = /^Missing field `(\w+)`/.exec(reason)
  const path = [...reason.matchAll(/ on (\w+)\.(\w+)/g)].map((m) => ({ struct: m[1], field: m[2] }))
  let index = -1
  let fields = []
  if (missing || path.length) {
    fields = path.map((p) => p.field).reverse()
    if (missing) fields.push(missing[1])
    const outer = path.length ? path[path.length - 1].struct : null
    index = params.findIndex((p) => outer && p.types.includes(outer))
    // The first object given where an object is declared (an array too, unless the parameter is a list).
    const list = (p) => p.types.some((type) => type.endsWith('[]') || type.startsWith('Array<'))
    if (index < 0) index = params.findIndex((p, i) => typeof args[i] === 'object' && args[i] !== null && (!Array.isArray(args[i]) || !list(p)))
  }
  if (index < 0) index = params.findIndex((p, i) => !fits(args[i], p))
  const argument = params[Math.max(index, 0)]?.name
  const field = argument && [argument, ...fields].join('.')
  const message = field ? `${field}: ${reason}` : reason
  return makeError(message, { argument, field })
}

function wrapFunction(fn, name, makeError) {
  const wrapped = function (...args) {
    try {
      return fn.apply(this, args)
    } catch (error) {
      const mapped = argumentError(error, name, args, makeError)
      if (mapped !== error && signatures().get(name)?.promise) return Promise.reject(mapped)
      throw mapped
    }
  }
  Object.defineProperty(wrapped, 'name', { value: fn.name })
  return wrapped
}

function wrapMethods(target, owner, makeError, unwrapped) {
  for (const key of Object.getOwnPropertyNames(target)) {
    const descriptor = Object.getOwnPropertyDescriptor(target, key)
    if (key === 'constructor' || typeof descriptor.value !== 'function' || !descriptor.configurable) continue
    if (unwrapped.has(`${owner}.${key}`)) continue
    Object.defineProperty(target, key, { ...descriptor, value: wrapFunction(descriptor.value, `${owner}.${key}`, makeError) })
  }
}

/** The class `cls`, whose constructor, static and instance methods map argument errors. */
function wrapClass(cls, name, makeError, unwrapped) {
  wrapMethods(cls.prototype, name, makeError, unwrapped)
  wrapMethods(cls, name, makeError, unwrapped)
  return new Proxy(cls, {
    construct(target, args, newTarget) {
      try {
        return Reflect.construct(target, args, newTarget === proxyOf.get(target) ? target : newTarget)
      } catch (error) {
        throw argumentError(error, `${name}.constructor`, args, makeError)
      }
    },
  })
}

const proxyOf = new WeakMap()

/**
 * Replaces `names` of the native exports by wrapped versions. `makeError(message,
 * details)` creates the DezkyError. Methods named in `unwrapped` (`Class.method`)
 * are left as they are. Static methods are wrapped only when napi declares them
 * configurable (`#[napi(factory, configurable)]`).
 */
function wrapNative(native, names, makeError, unwrapped = new Set()) {
  for (const name of names) {
    const value = native[name]
    if (typeof value !== 'function') continue
    if (/^[A-Z]/.test(name)) {
      const proxy = wrapClass(value, name, makeError, unwrapped)
      proxyOf.set(value, proxy)
      native[name] = proxy
    } else {
      native[name] = wrapFunction(value, name, makeError)
    }
  }
  return native
}

module.exports = { wrapNative }
