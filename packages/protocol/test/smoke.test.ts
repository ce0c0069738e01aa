import { describe, expect, it } from "@effect/vitest"
import * as P from "@effect-cassandra/protocol"

describe("workspace", () => {
  it("resolves the protocol package from source", () => {
    expect(typeof P).toBe("object")
  })
})
