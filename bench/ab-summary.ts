// The paired comparison of bench/ab.sh's runs: for each tree, the median of its runs and the median of
// its per-round ratio to the first tree's run of the same round, with a 95% bootstrap interval of that
// median (5000 resamples, a fixed seed so that a file always gives the same interval).
//
//   node --conditions=source bench/ab-summary.ts <file>     (lines: round tree value; "ERR" values skipped)
import * as fs from "node:fs"

const file = process.argv[2]
if (file === undefined) {
  console.error("usage: ab-summary.ts <file>")
  process.exit(2)
}
const rounds = new Map<string, Map<string, number>>()
const trees: Array<string> = []
for (const line of fs.readFileSync(file, "utf8").split("\n")) {
  const [round, tree, value] = line.trim().split(/\s+/)
  if (round === undefined || tree === undefined || value === undefined || !Number.isFinite(Number(value))) continue
  if (!trees.includes(tree)) trees.push(tree)
  let r = rounds.get(round)
  if (r === undefined) rounds.set(round, r = new Map())
  r.set(tree, Number(value))
}

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const n = s.length
  return n === 0 ? NaN : n % 2 === 1 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2
}
/** mulberry32: a small seeded PRNG. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const pct = (logRatio: number) => `${((Math.exp(logRatio) - 1) * 100).toFixed(1)}%`

const base = trees[0]
if (base === undefined) {
  console.log("no runs")
  process.exit(0)
}
console.log(`| tree | runs | median | paired vs ${base} | 95% interval |`)
console.log("| --- | --- | --- | --- | --- |")
for (const tree of trees) {
  const values = [...rounds.values()].flatMap((r) => (r.has(tree) ? [r.get(tree)!] : []))
  const logs = [...rounds.values()].flatMap((r) => (r.has(tree) && r.has(base) ? [Math.log(r.get(tree)! / r.get(base)!)] : []))
  const random = prng(1)
  const boots: Array<number> = []
  for (let i = 0; i < 5000; i++) boots.push(median(logs.map(() => logs[Math.floor(random() * logs.length)]!)))
  boots.sort((a, b) => a - b)
  const interval = tree === base ? "" : `${pct(boots[125]!)} .. ${pct(boots[4874]!)}`
  console.log(`| ${tree} | ${values.length} | ${median(values).toFixed(4)} | ${tree === base ? "" : pct(median(logs))} | ${interval} |`)
}
