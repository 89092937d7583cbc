'use strict'
// Freezes the clock for the reference runtime (groupIdentifyUser sends "now" when an event has no timestamp).
// Require it before @segment/actions-core so every Date the runtime makes sees the frozen time.
const FROZEN_NOW_MS = 1710460800000 // 2024-03-15T00:00:00.000Z, harness.FROZEN_NOW_MS

const RealDate = Date
class FrozenDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(FROZEN_NOW_MS)
    else super(...args)
  }
  static now() {
    return FROZEN_NOW_MS
  }
}
globalThis.Date = FrozenDate

module.exports = { FROZEN_NOW_MS }
