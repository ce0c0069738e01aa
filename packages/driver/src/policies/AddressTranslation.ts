/**
 * Address translation: rewrites the addresses the cluster reports of its nodes (system.peers, events)
 * into addresses this client can reach, e.g. behind NAT or in another network (the Python driver's
 * `AddressTranslator`).
 *
 * It is a pure function; it does not resolve names or open connections.
 *
 * @since 0.1.0
 */

/**
 * Maps a node's reported `address:port` to the one to connect to.
 *
 * @since 0.1.0
 * @category models
 */
export type AddressTranslator = (address: string, port: number) => { readonly address: string; readonly port: number }

/**
 * The default: addresses as the cluster reports them.
 *
 * @since 0.1.0
 * @category constructors
 */
export const identity: AddressTranslator = (address, port) => ({ address, port })
