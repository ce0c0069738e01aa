/**
 * @effect-cassandra/protocol: the Cassandra native protocol (v3, v4, v5) codec. Pure: no I/O.
 * Nothing here opens a socket, pools connections or retries: that is `@effect-cassandra/driver`'s.
 *
 * @since 0.1.0
 */

/**
 * Typed errors of the codec: `DecodeError` and `EncodeError`.
 *
 * @since 0.1.0
 */
export * from "./Errors.ts"

/**
 * `ByteWriter` and `ByteReader`: the byte-level writer and reader of every codec.
 *
 * @since 0.1.0
 */
export * from "./Buffers.ts"

/**
 * CQL type descriptors, their names and their [option] form.
 *
 * @since 0.1.0
 */
export * from "./CqlType.ts"

/**
 * CQL values: value classes and codecs.
 *
 * @since 0.1.0
 */
export * from "./CqlValues.ts"

/**
 * The message model: requests, responses, results, events, errors and the protocol's constants.
 *
 * @since 0.1.0
 */
export * from "./Messages.ts"

/**
 * Envelopes, v5 segments and compression: the encoder and decoder of a connection.
 *
 * @since 0.1.0
 */
export * from "./Frames.ts"

/**
 * Partition tokens (Murmur3, Random, ByteOrdered partitioners) and routing keys.
 *
 * @since 0.1.0
 */
export * from "./Token.ts"
