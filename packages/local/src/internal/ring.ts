/**
 * Reading the ring out of `nodetool status` (pure): each node's two-letter state as one node sees it.
 * Adding and decommissioning nodes waits on these states (`cluster.ts` runs nodetool and waits).
 *
 * @internal
 */

/**
 * A node's state in `nodetool status`: `U`/`D` (up, down) then `N`/`J`/`L`/`M` (normal, joining, leaving,
 * moving), e.g. `UN`, `UJ`, `UL`, `DN`.
 *
 * @since 0.2.0
 */
export type RingState = `${"U" | "D"}${"N" | "J" | "L" | "M"}`

const LINE = /^([UD][NJLM])\s+(\[[^\]]+\]|[^\s]+)\s/

/**
 * The state of every node listed by `nodetool status` (every datacenter's table), by address. An address
 * printed with its port (`nodetool -pp status`) is listed without it.
 *
 * @since 0.2.0
 */
export const parseStatus = (output: string): ReadonlyMap<string, RingState> => {
  const states = new Map<string, RingState>()
  for (const raw of output.split(/\r?\n/)) {
    const m = LINE.exec(raw.trim())
    if (m === null) continue
    let address = m[2] as string
    if (address.startsWith("[")) address = address.slice(1, address.indexOf("]"))
    else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(address)) address = address.slice(0, address.lastIndexOf(":"))
    states.set(address, m[1] as RingState)
  }
  return states
}

/**
 * What a ring seen by node `viewer` lacks for `address` to be in `want` (undefined when it is): `"UN"`
 * (joined: up and normal) or `"gone"` (not listed at all: decommissioned and removed).
 *
 * @since 0.2.0
 */
export const ringMissing = (
  viewer: number,
  states: ReadonlyMap<string, RingState>,
  address: string,
  want: "UN" | "gone"
): string | undefined => {
  const state = states.get(address)
  if (want === "UN") return state === "UN" ? undefined : `node ${viewer} to see ${address} UN (it sees ${state ?? "no such node"})`
  return state === undefined ? undefined : `node ${viewer} to forget ${address} (it sees ${state})`
}
