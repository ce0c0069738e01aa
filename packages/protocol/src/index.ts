/**
 * @effect-cassandra/protocol: the Cassandra native protocol (v3, v4, v5) codec. Pure: no I/O.
 *
 * @since 0.1.0
 */
export * from "./Errors.ts"
export * from "./Buffers.ts"
export * from "./CqlType.ts"
export * from "./Messages.ts"
export * from "./types/index.ts"
export * from "./Token.ts"
