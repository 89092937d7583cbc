#!/usr/bin/env node
'use strict'
// Regenerates tests/cases/user_agent/ua_corpus.json from the real packages.
// Usage (from the repo root, once tests/reference/node_modules is installed):
//   node tests/reference/ua_dump.js tests/cases/user_agent/ua_corpus.json > /tmp/ua_corpus.json
// The input file is either a JSON array of inputs or an existing corpus ({"cases": [...]}); an input is a
// UA string or {"ua": STRING, "userAgentData": {model?, platformVersion?}}.
// Per case it records the raw parser result (undefined -> null) and what the Amplitude destination's
// parseUserAgentProperties returns (undefined keys are left out, as JSON would).

const fs = require('fs')
const path = require('path')
const UAParser = require('@amplitude/ua-parser-js')
const { parseUserAgentProperties } = require('@segment/action-destinations/dist/destinations/amplitude/user-agent')

// Installed version of a package (some packages do not export their package.json).
function version(name) {
  let dir = path.dirname(require.resolve(name))
  for (;;) {
    const file = path.join(dir, 'package.json')
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8'))
      if (pkg.name === name) return pkg.version
    }
    if (path.dirname(dir) === dir) return null
    dir = path.dirname(dir)
  }
}
const orNull = (v) => (v === undefined ? null : v)

function dumpOne(input) {
  const ua = typeof input === 'string' ? input : input.ua
  const userAgentData = typeof input === 'string' ? undefined : input.userAgentData
  const p = new UAParser(ua)
  const b = p.getBrowser()
  const o = p.getOS()
  const d = p.getDevice()
  const out = { ua }
  if (userAgentData !== undefined) out.userAgentData = userAgentData
  out.parser = {
    browser: { name: orNull(b.name), version: orNull(b.version), major: orNull(b.major) },
    os: { name: orNull(o.name), version: orNull(o.version) },
    device: { vendor: orNull(d.vendor), model: orNull(d.model), type: orNull(d.type) }
  }
  out.expected = JSON.parse(JSON.stringify(parseUserAgentProperties(ua, userAgentData)))
  return out
}

const raw = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))
const inputs = Array.isArray(raw) ? raw : raw.cases.map((c) => (c.userAgentData === undefined ? c.ua : { ua: c.ua, userAgentData: c.userAgentData }))
const corpus = {
  description: 'User-agent strings and what the real parser and the Amplitude destination make of them.',
  generated_by: 'tests/reference/ua_dump.js',
  packages: {
    '@amplitude/ua-parser-js': version('@amplitude/ua-parser-js'),
    '@segment/action-destinations': version('@segment/action-destinations')
  },
  cases: inputs.map(dumpOne)
}
process.stdout.write(JSON.stringify(corpus, null, 1) + '\n')
