// A DNS server on 127.0.0.1 (UDP) for the domain checks of the tests: it
// answers the records it is given (MX and TXT, what the in-memory mail
// server's zone files hold) and an empty answer for anything else.
import { createSocket } from 'node:dgram'

const TYPES = { A: 1, MX: 15, TXT: 16, AAAA: 28 }

function encodeName(name) {
  const labels = name.replace(/\.$/, '').split('.').filter(Boolean)
  const parts = labels.map((l) => Buffer.concat([Buffer.from([Buffer.byteLength(l)]), Buffer.from(l)]))
  return Buffer.concat([...parts, Buffer.from([0])])
}

function readQuestion(message) {
  let offset = 12
  const labels = []
  for (;;) {
    const length = message[offset]
    if (length === undefined) throw new Error('truncated question')
    offset += 1
    if (length === 0) break
    labels.push(message.subarray(offset, offset + length).toString('latin1'))
    offset += length
  }
  const type = message.readUInt16BE(offset)
  return { name: `${labels.join('.').toLowerCase()}.`, type, end: offset + 4 }
}

function rdata(type, value) {
  if (type === TYPES.MX) {
    const [preference, exchange] = value.split(/\s+/)
    const pref = Buffer.alloc(2)
    pref.writeUInt16BE(Number(preference))
    return Buffer.concat([pref, encodeName(exchange)])
  }
  if (type === TYPES.TXT) {
    const bytes = Buffer.from(value)
    const chunks = []
    for (let i = 0; i < bytes.length || i === 0; i += 255) {
      const chunk = bytes.subarray(i, i + 255)
      chunks.push(Buffer.from([chunk.length]), chunk)
    }
    return Buffer.concat(chunks)
  }
  throw new Error(`no encoding for type ${type}`)
}

/**
 * Starts the server. `records` maps `name.|TYPE` (lowercase name with the
 * trailing dot) to the values of that RRset; change it between queries.
 * Resolves with `{port, records, queries, close()}`.
 */
export function startDns() {
  const records = new Map()
  const queries = []
  const socket = createSocket('udp4')
  socket.on('message', (message, peer) => {
    let question
    try {
      question = readQuestion(message)
    } catch {
      return
    }
    queries.push(question)
    const typeName = Object.keys(TYPES).find((k) => TYPES[k] === question.type)
    const values = (typeName && records.get(`${question.name}|${typeName}`)) ?? []
    const known = [...records.keys()].some((k) => k.startsWith(`${question.name}|`))
    const header = Buffer.alloc(12)
    message.copy(header, 0, 0, 2) // id
    const rd = message[2] & 0x01
    header[2] = 0x80 | 0x04 | rd // QR, AA, RD as asked
    header[3] = 0x80 | (known ? 0 : 3) // RA; NXDOMAIN for a name with no records
    header.writeUInt16BE(1, 4)
    header.writeUInt16BE(values.length, 6)
    const answers = values.map((value) => {
      const data = rdata(question.type, value)
      const fixed = Buffer.alloc(10)
      fixed.writeUInt16BE(question.type, 0)
      fixed.writeUInt16BE(1, 2) // IN
      fixed.writeUInt32BE(60, 4)
      fixed.writeUInt16BE(data.length, 8)
      return Buffer.concat([Buffer.from([0xc0, 0x0c]), fixed, data])
    })
    const reply = Buffer.concat([header, message.subarray(12, question.end), ...answers])
    socket.send(reply, peer.port, peer.address)
  })
  return new Promise((resolve) =>
    socket.bind(0, '127.0.0.1', () =>
      resolve({
        port: socket.address().port,
        records,
        queries,
        close: () => socket.close(),
      }),
    ),
  )
}

/** Publishes every expected record of `expected` (`ExpectedRecordsInfo.checks`) on `dns`, but those `skip` rejects. */
export function publish(dns, expected, skip = () => false) {
  for (const check of expected.checks) {
    if (skip(check)) continue
    dns.records.set(`${check.name.toLowerCase()}|${check.type}`, [...check.values])
  }
}
