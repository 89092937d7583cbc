#!/usr/bin/env node
'use strict'
// Prints what the pinned user-agent parser (the one the Amplitude destination loads) makes of each UA.
// Input: JSON lines, each a UA string or {"ua": STRING, "userAgentData"?: {model, platformVersion}}.
// Output: one JSON line per input:
//   {"ua", "browser": {name, version, major}, "os": {name, version}, "device": {vendor, model, type},
//    "amplitude": <the destination's parseUserAgentProperties(ua, userAgentData)>, "parser_version"}
// Absent values are null (JSON has no undefined).

const readline = require('readline')
const UAParser = require('@amplitude/ua-parser-js')
const { parseUserAgentProperties } = require('@segment/action-destinations/dist/destinations/amplitude/user-agent')
const PARSER_VERSION = require('@amplitude/ua-parser-js/package.json').version

const orNull = (v) => (v === undefined ? null : v)
const clean = (obj) => Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, orNull(v)]))

function probe(ua, userAgentData) {
  const parser = new UAParser(ua)
  const browser = parser.getBrowser()
  const os = parser.getOS()
  const device = parser.getDevice()
  return {
    ua,
    browser: clean({ name: browser.name, version: browser.version, major: browser.major }),
    os: clean({ name: os.name, version: os.version }),
    device: clean({ vendor: device.vendor, model: device.model, type: device.type }),
    amplitude: clean(parseUserAgentProperties(ua, userAgentData)),
    parser_version: PARSER_VERSION
  }
}

async function main() {
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
  for await (const line of rl) {
    if (!line.trim()) continue
    let out
    try {
      const msg = JSON.parse(line)
      out = typeof msg === 'string' ? probe(msg) : probe(msg.ua, msg.userAgentData)
    } catch (err) {
      out = { ua: null, error: String(err && err.message ? err.message : err) }
    }
    process.stdout.write(JSON.stringify(out) + '\n')
  }
}

main()
