#!/usr/bin/env node
'use strict'
// Prints, as JSON, the version of each package as the given package resolves it (Node's own lookup from
// that package's folder), e.g. `node versions.js @segment/actions-core ajv dayjs`.
const fs = require('fs')
const path = require('path')

function packageDir(name, from) {
  let dir = path.dirname(require.resolve(name, { paths: [from] }))
  for (;;) {
    const file = path.join(dir, 'package.json')
    if (fs.existsSync(file) && JSON.parse(fs.readFileSync(file, 'utf8')).name === name) return dir
    if (path.dirname(dir) === dir) throw new Error(`no package.json for ${name}`)
    dir = path.dirname(dir)
  }
}

const [from, ...names] = process.argv.slice(2)
const base = packageDir(from, __dirname)
const out = {}
for (const name of names) {
  out[name] = JSON.parse(fs.readFileSync(path.join(packageDir(name, base), 'package.json'), 'utf8')).version
}
process.stdout.write(JSON.stringify(out) + '\n')
