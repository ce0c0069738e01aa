// Back-pressure: a burst far beyond one connection's 32768 stream ids, a session throttler, and the
// typed errors past their bounds (HostBusy, RequestThrottled).
import { NodeRuntime } from "@effect/platform-node"
import { Cluster, Session, Throttling } from "@effect-cassandra/driver"
import { Console, Effect, Layer } from "effect"

// at most 256 requests of this session in flight; up to 200,000 more wait for their turn
const throttler = Throttling.concurrencyLimit({ maxInFlight: 256, maxQueued: 200_000 })

const burst = (n: number) =>
  Effect.gen(function*() {
    const p = yield* Session.prepare("SELECT release_version FROM system.local WHERE key = ?")
    const outcomes: Record<string, number> = {}
    const started = Date.now()
    // n requests started at once, as a user writes it: none is reported as a host being down
    yield* Effect.forEach(Array.from({ length: n }), () =>
      Session.execute(p, ["local"], { timeout: "1 minute" }).pipe(
        Effect.match({
          onSuccess: () => "Success",
          // HostBusy: the host's queue (maxQueuedRequests) is full; RequestThrottled: the throttler's is
          onFailure: (e) => e._tag
        }),
        Effect.map((tag) => { outcomes[tag] = (outcomes[tag] ?? 0) + 1 })
      ), { concurrency: "unbounded", discard: true })
    yield* Console.log(`${n} requests in ${Date.now() - started} ms: ${JSON.stringify(outcomes)}; throttler in flight now: ${throttler.inFlight}`)
  })

const SessionLive = Session.layer({ throttler }).pipe(Layer.provideMerge(Cluster.layerConfig()))
burst(50_000).pipe(Effect.provide(SessionLive), NodeRuntime.runMain)
