/**
 * The activity entries of one connection: what a request (decoded, or only its envelope when it
 * could not be decoded) becomes in the activity log, with the host and connection it reached. It
 * does not store entries (the simulation's `ActivityLog` does) nor decide what was answered.
 *
 * @internal
 */
import type { RawEnvelope, RawRequest, RawValue } from "@effect-cassandra/protocol/Frames"
import { consistencyName } from "../../Answer.ts"
import type { Activity, BatchActivity, RequestKind } from "../../Model.ts"
import { idKey } from "../ids.ts"
import type { SimHost } from "../sim/hosts.ts"
import type { PreparedInfo } from "../sim/prepared.ts"
import type { SimulatedCluster } from "../sim/SimulatedCluster.ts"

/**
 * The values of a request without any (one shared empty list).
 *
 * @since 0.1.0
 */
export const NO_VALUES: ReadonlyArray<RawValue> = []

const KIND_BY_OPCODE: Record<number, RequestKind> = {
  0x01: "startup",
  0x05: "options",
  0x07: "query",
  0x09: "prepare",
  0x0a: "execute",
  0x0b: "register",
  0x0d: "batch",
  0x0f: "authResponse"
}

/**
 * Builds and records the activity entries of one connection.
 *
 * @since 0.1.0
 */
export class RequestLog {
  private readonly sim: SimulatedCluster
  private readonly host: SimHost
  private readonly connection: number
  /** The custom payload of the request being handled (set around its dispatch). */
  currentPayload: ReadonlyMap<string, Uint8Array | null> | undefined = undefined

  constructor(sim: SimulatedCluster, host: SimHost, connection: number) {
    this.sim = sim
    this.host = host
    this.connection = connection
  }

  /** Records a request that could not be decoded (or was refused before decoding), as housekeeping. */
  recordRaw(env: RawEnvelope, at: number, answer: string): void {
    this.sim.log.record({
      host: this.host.endpoint,
      hostIndex: this.host.index,
      connection: this.connection,
      at,
      version: env.version,
      stream: env.stream,
      kind: KIND_BY_OPCODE[env.opcode] ?? "options",
      query: undefined,
      preparedId: undefined,
      values: NO_VALUES,
      decodedValues: undefined,
      names: undefined,
      consistency: undefined,
      serialConsistency: undefined,
      pageSize: undefined,
      pagingState: undefined,
      timestamp: undefined,
      keyspace: undefined,
      batch: undefined,
      tracing: false,
      control: true,
      answer
    })
  }

  /** Records an activity (built by `activityOf`) unless the log is off. */
  record(...args: Parameters<RequestLog["activityOf"]>): void {
    if (this.sim.log.limit <= 0) return
    this.sim.log.record(this.activityOf(...args))
  }

  activityOf(
    request: RawRequest,
    env: RawEnvelope,
    at: number,
    tracing: boolean,
    answer: string,
    decodedValues: ReadonlyArray<unknown> | undefined,
    control: boolean,
    prepared?: PreparedInfo,
    batch?: ReadonlyArray<BatchActivity>
  ): Activity {
    const params = request._tag === "Query" || request._tag === "Execute" ? request.params : undefined
    return {
      host: this.host.endpoint,
      hostIndex: this.host.index,
      connection: this.connection,
      at,
      version: env.version,
      stream: env.stream,
      kind: KIND_BY_OPCODE[env.opcode] ?? "options",
      query: request._tag === "Query" || request._tag === "Prepare"
        ? request.query
        : request._tag === "Execute"
        ? prepared?.query ?? this.sim.prepared.get(idKey(request.id))?.query
        : undefined,
      preparedId: request._tag === "Execute" ? request.id : undefined,
      values: params?.values?.values ?? NO_VALUES,
      decodedValues,
      names: params?.values?.names,
      consistency: request._tag === "Batch"
        ? consistencyName(request.consistency)
        : params === undefined
        ? undefined
        : consistencyName(params.consistency),
      serialConsistency: request._tag === "Batch"
        ? request.serialConsistency === undefined ? undefined : consistencyName(request.serialConsistency)
        : params?.serialConsistency === undefined
        ? undefined
        : consistencyName(params.serialConsistency),
      pageSize: params?.pageSize,
      pagingState: params?.pagingState,
      timestamp: request._tag === "Batch" ? request.timestamp : params?.timestamp,
      keyspace: request._tag === "Prepare" || request._tag === "Batch" ? request.keyspace : params?.keyspace,
      batch,
      tracing,
      control,
      answer,
      customPayload: this.currentPayload
    }
  }
}
