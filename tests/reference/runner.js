#!/usr/bin/env node
'use strict'
// Reference runtime: the real Amplitude (Actions) destination run through the real
// actions-core framework path, with every HTTP request intercepted in-process.
//
// Protocol: one JSON object per stdin line, one JSON object per stdout line, same order.
//   in:  {"id", "settings", "subscriptions": [{name, partnerAction, subscribe, mapping, enabled?}], "event"}
//   out: {"id", "fired": [{"subscription", "action", "requests": [{method, url, headers: {"content-type"}, body}],
//                          "error": null | {name, message, status}}],
//         "skipped": [{"subscription", "reason"}]}            (subscriptions the runtime refuses to run)
//   in:  {"id", "command": "presets"}  -> {"id", "presets": [...], "defaults": {slug: defaultValues(fields)}}
// A line that is not valid input gets {"id", "protocol_error": "..."} so the caller never hangs.
//
// The clock is frozen (groupIdentifyUser sends "now" when an event has no timestamp).

require('./frozen_clock') // before actions-core: the runtime sees the frozen clock

const readline = require('readline')
const nock = require('nock')
const nockCommon = require('nock/lib/common')

// nock schedules each reply with setTimeout(fn, 0), which Node rounds up to 1 ms: about 2 ms of idle
// time per request. Zero delays go through setImmediate instead; what is recorded does not change.
const nockSetTimeout = nockCommon.setTimeout
nockCommon.setTimeout = (fn, ms, ...args) => (ms ? nockSetTimeout(fn, ms, ...args) : nockCommon.setImmediate(fn, ...args))
const core = require('@segment/actions-core')
const amplitude = require('@segment/action-destinations/dist/destinations/amplitude').default

const destination = new core.Destination(amplitude)

// Every request is answered 200 {} and recorded into `current` (events run strictly one at a time).
let current = []
nock.disableNetConnect()
for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
  nock(/.*/)
    .persist()
    .intercept(/.*/, method.toUpperCase())
    .reply(function (uri, _body) {
      return [200, '{}', { 'content-type': 'application/json' }]
    })
    .on('request', (req, interceptor, body) => {
      const headers = req.headers || {}
      const contentType = headers['content-type'] ?? (req.getHeader ? req.getHeader('content-type') : undefined)
      current.push({
        method: req.method,
        url: requestUrl(req, interceptor),
        headers: { 'content-type': contentType === undefined ? null : String(contentType) },
        body: body === undefined ? '' : String(body)
      })
    })
}

function requestUrl(req, interceptor) {
  if (req.options && req.options.href) return req.options.href
  const proto = (req.options && req.options.proto) || 'https'
  const host = (req.options && (req.options.host || req.options.hostname)) || interceptor.basePath
  return `${proto}://${host}${req.path}`
}

function errorInfo(err) {
  return {
    name: err && err.name ? String(err.name) : 'Error',
    message: err && err.message !== undefined ? String(err.message) : String(err),
    status: err && typeof err.status === 'number' ? err.status : null
  }
}

async function runEvent(msg) {
  const settings = msg.settings || {}
  const event = msg.event
  const fired = []
  const skipped = []
  // Same settings handling as Destination.onSubscriptions (onEvent): strip subscriptions, validate.
  const destinationSettings = destination.getDestinationSettings({ ...settings })
  try {
    destination.validateSettings(destinationSettings)
  } catch (err) {
    return { id: msg.id, fired, skipped, settings_error: errorInfo(err) }
  }
  const auth = core.getAuthData(settings)
  for (const sub of msg.subscriptions || []) {
    if (sub.enabled === false) continue
    current = []
    let error = null
    let result
    try {
      // onSubscription is the per-subscription step of onEvent: FQL parse + match, then Action.execute
      // (mapping transform, removeEmptyValues, schema validation with coercion, perform).
      result = await destination.onSubscription(sub, event, destinationSettings, auth, {})
    } catch (err) {
      error = errorInfo(err)
    }
    const requests = current
    current = []
    if (!error && Array.isArray(result) && result.length === 1 && typeof result[0].output === 'string') {
      const output = result[0].output
      if (output === 'not subscribed') continue
      if (output.startsWith('Invalid subscription') || output === 'Failed to validate subscription') {
        skipped.push({ subscription: sub.name ?? null, reason: output })
        continue
      }
    }
    fired.push({ subscription: sub.name ?? null, action: sub.partnerAction, requests, error })
  }
  return { id: msg.id, fired, skipped }
}

function presets() {
  const defaults = {}
  for (const [slug, action] of Object.entries(amplitude.actions)) {
    defaults[slug] = core.defaultValues(action.fields)
  }
  return { presets: amplitude.presets || [], defaults }
}

async function handle(line) {
  let msg
  try {
    msg = JSON.parse(line)
  } catch (err) {
    return { id: null, protocol_error: `invalid JSON: ${err.message}` }
  }
  if (msg === null || typeof msg !== 'object') return { id: null, protocol_error: 'not an object' }
  if (msg.command === 'presets') return { id: msg.id, ...presets() }
  if (msg.command !== undefined) return { id: msg.id, protocol_error: `unknown command ${msg.command}` }
  if (msg.event === null || typeof msg.event !== 'object') return { id: msg.id, protocol_error: 'event must be an object' }
  return runEvent(msg)
}

function write(obj) {
  return new Promise((resolve) => {
    if (process.stdout.write(JSON.stringify(obj) + '\n')) resolve()
    else process.stdout.once('drain', resolve)
  })
}

async function main() {
  // The reader went away (e.g. `| head`): stop quietly instead of crashing on EPIPE.
  process.stdout.on('error', (err) => process.exit(err && err.code === 'EPIPE' ? 0 : 1))
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
  for await (const line of rl) {
    if (!line.trim()) continue
    let out
    try {
      out = await handle(line)
    } catch (err) {
      out = { id: null, protocol_error: `runner failure: ${err && err.stack ? err.stack : err}` }
    }
    await write(out)
  }
}

main().catch((err) => {
  process.stderr.write(`runner crashed: ${err && err.stack ? err.stack : err}\n`)
  process.exit(1)
})
