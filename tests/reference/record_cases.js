#!/usr/bin/env node
'use strict'
// Regenerates tests/cases/actions/pinned_runtime.json: what the installed reference runtime sends for every
// transcribed upstream/ and derived/ action case, and what parseUserAgentProperties returns for the other/
// parseUserAgentProperties cases. Actions run through Destination.executeAction (the upstream test harness path:
// settings not validated); every request is answered with the case's http_response_status (default 200).
// Usage (from the repo root): node tests/reference/record_cases.js tests/cases/actions > /tmp/pinned.json
const fs = require('fs')
const path = require('path')

require('./frozen_clock') // before actions-core: the runtime sees the frozen clock

const nock = require('nock')
const core = require('@segment/actions-core')
const amplitude = require('@segment/action-destinations/dist/destinations/amplitude').default
const { parseUserAgentProperties } = require('@segment/action-destinations/dist/destinations/amplitude/user-agent')
const destination = new core.Destination(amplitude)

let current = []
let status = 200
nock.disableNetConnect()
for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
  nock(/.*/)
    .persist()
    .intercept(/.*/, method.toUpperCase())
    .reply(() => [status, '{}', { 'content-type': 'application/json' }])
    .on('request', (req, interceptor, body) => {
      const href = req.options && req.options.href
      current.push({ method: req.method, url: href || `https://${req.options.host}${req.path}`, body: body === undefined ? '' : String(body) })
    })
}

const version = (name) => JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version

async function record(file) {
  const c = JSON.parse(fs.readFileSync(file, 'utf8'))
  if (c.kind === 'helper') {
    if (c.function !== 'parseUserAgentProperties') return null
    const out = parseUserAgentProperties(...c.args)
    const expected = {}
    for (const [k, v] of Object.entries(out)) expected[k] = v === undefined ? null : v
    return { expected }
  }
  if (!c.action || c.action === 'testAuthentication') return null
  const action = amplitude.actions[c.action]
  // use_default_mappings: every field's default in field order, the case's keys over them (a key replaces
  // the whole default of its field), then keys no field has
  let mapping = c.mapping || {}
  if (c.use_default_mappings) {
    const defaults = core.defaultValues(action.fields)
    const merged = {}
    for (const key of Object.keys(action.fields)) merged[key] = defaults[key]
    Object.assign(merged, mapping)
    mapping = Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined))
  }
  current = []
  status = c.http_response_status || 200
  try {
    await destination.executeAction(c.action, { event: c.event, mapping, settings: c.settings || {} })
  } catch (err) {
    // the error is asserted by the case itself; only the requests are recorded here
  }
  return { requests: current.map((r) => ({ method: r.method, url: r.url, body: r.body })) }
}

async function main() {
  const root = process.argv[2]
  const cases = {}
  for (const folder of ['derived', 'other', 'upstream']) {
    for (const name of fs.readdirSync(path.join(root, folder)).sort()) {
      if (!name.endsWith('.json')) continue
      const result = await record(path.join(root, folder, name))
      if (result) cases[`${folder}/${name.slice(0, -5)}`] = result
    }
  }
  const description =
    `What the reference runtime (tests/reference: @segment/action-destinations ${version('@segment/action-destinations')}, ` +
    `@amplitude/ua-parser-js ${version('@amplitude/ua-parser-js')}, pinned as Segment's monorepo lock pins them) sends for every ` +
    'upstream/ and derived/ case, recorded with the runtime\'s Destination.executeAction (the test harness path: settings ' +
    'not validated, every request answered with the case\'s status, 200 by default), and what parseUserAgentProperties ' +
    'returns for the other/ parseUserAgentProperties cases. Bodies are the exact request body text. ' +
    'Regenerate: node tests/reference/record_cases.js tests/cases/actions'
  process.stdout.write(JSON.stringify({ description, cases }, null, 1) + '\n')
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
