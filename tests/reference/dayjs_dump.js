#!/usr/bin/env node
'use strict'
// Regenerates tests/cases/dayjs/corpus.json from the real packages (run with TZ=UTC: the runtime's clock
// zone, which decides how strings without a zone that fall through to `new Date(string)` are read).
// Usage (from the repo root, once tests/reference/node_modules is installed):
//   TZ=UTC node tests/reference/dayjs_dump.js tests/cases/dayjs/corpus.json > /tmp/corpus.json
// The input file is a JSON array of values or an existing corpus ({"cases": [{"input": ...}]}).
// Per input it records:
//   utc_valid   dayjs.utc(v).isValid()                 (the destination's time/session_id guard)
//   utc_ms      dayjs.utc(v).valueOf(), NaN -> null     (the value sent as time)
//   session_id  formatSessionId(v), NaN -> null         (convert-timestamp.ts)
//   date_like   strings only: does actions-core's `date-like` schema format accept it (else null)

const fs = require('fs')
const path = require('path')
const dayjs = require('@segment/action-destinations/dist/lib/dayjs').default
const { formatSessionId } = require('@segment/action-destinations/dist/destinations/amplitude/convert-timestamp')
const { validateSchema } = require('@segment/actions-core')

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
const num = (n) => (Number.isNaN(n) ? null : n)
const DATE_LIKE = { type: 'object', properties: { t: { type: 'string', format: 'date-like' } } }

function dumpOne(input) {
  return {
    input,
    utc_valid: dayjs.utc(input).isValid(),
    utc_ms: num(dayjs.utc(input).valueOf()),
    session_id: num(formatSessionId(input)),
    date_like: typeof input === 'string' ? validateSchema({ t: input }, DATE_LIKE, { throwIfInvalid: false }) : null
  }
}

const raw = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))
const inputs = Array.isArray(raw) ? raw : raw.cases.map((c) => c.input)
const corpus = {
  description: 'Date inputs and what dayjs (as the Amplitude destination and actions-core use it) makes of them.',
  generated_by: 'tests/reference/dayjs_dump.js',
  timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
  node: process.version,
  packages: {
    dayjs: version('dayjs'),
    '@segment/actions-core': version('@segment/actions-core'),
    '@segment/action-destinations': version('@segment/action-destinations')
  },
  cases: inputs.map(dumpOne)
}
process.stdout.write(JSON.stringify(corpus, null, 1) + '\n')
