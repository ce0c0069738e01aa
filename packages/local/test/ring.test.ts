/** `nodetool status` read into ring states: what adding and decommissioning a node wait on. */
import { describe, expect, it } from "@effect/vitest"
import { parseStatus, ringMissing } from "../src/internal/ring.ts"

const STATUS = `Datacenter: datacenter1
=======================
Status=Up/Down
|/ State=Normal/Leaving/Joining/Moving
--  Address     Load        Tokens  Owns (effective)  Host ID                               Rack
UN  127.0.0.40  1.43 MiB    1       75.0%             2b4d0b8e-1a2f-4a55-9b0e-7d5c1f7a0001  rack1
UN  127.0.0.41  1.38 MiB    1       75.0%             2b4d0b8e-1a2f-4a55-9b0e-7d5c1f7a0002  rack1
DN  127.0.0.42  1.40 MiB    1       75.0%             2b4d0b8e-1a2f-4a55-9b0e-7d5c1f7a0003  rack1
UJ  127.0.0.43  204.5 KiB   1       ?                 2b4d0b8e-1a2f-4a55-9b0e-7d5c1f7a0004  rack1

`

describe("nodetool status", () => {
  it("gives each listed node's state by address", () => {
    expect([...parseStatus(STATUS)]).toEqual([
      ["127.0.0.40", "UN"],
      ["127.0.0.41", "UN"],
      ["127.0.0.42", "DN"],
      ["127.0.0.43", "UJ"]
    ])
  })
  it("reads every datacenter's table, and addresses printed with their port (-pp)", () => {
    const two = `Datacenter: dc1\n===============\n--  Address  Load\nUN  127.0.0.11:7000  1 MiB  1  50%  id  rack1\n` +
      `Datacenter: dc2\n===============\n--  Address  Load\nUL  127.0.0.12:7000  1 MiB  1  50%  id  rack1\nUM  [::1]:7000  1 MiB\n`
    expect([...parseStatus(two)]).toEqual([["127.0.0.11", "UN"], ["127.0.0.12", "UL"], ["::1", "UM"]])
    expect(parseStatus("nodetool: Failed to connect to '127.0.0.1:7100'").size).toBe(0)
  })
  it("says what a viewer still lacks for a node to be joined or gone", () => {
    const states = parseStatus(STATUS)
    expect(ringMissing(1, states, "127.0.0.40", "UN")).toBeUndefined()
    expect(ringMissing(1, states, "127.0.0.43", "UN")).toBe("node 1 to see 127.0.0.43 UN (it sees UJ)")
    expect(ringMissing(2, states, "127.0.0.44", "UN")).toBe("node 2 to see 127.0.0.44 UN (it sees no such node)")
    expect(ringMissing(1, states, "127.0.0.44", "gone")).toBeUndefined()
    expect(ringMissing(3, states, "127.0.0.43", "gone")).toBe("node 3 to forget 127.0.0.43 (it sees UJ)")
  })
})
