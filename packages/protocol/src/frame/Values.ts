/**
 * The value codecs the frame layer uses (bound values, [option] types, rows), provided by
 * `../types/`: one import point so the frame layer depends on a single module. It adds no code.
 *
 * @internal
 */

/**
 * The value codecs of `../types/` that the frame layer uses.
 *
 * @since 0.1.0
 */
export {
  decodeRows,
  encodeInferredValue,
  encodeValue,
  formatInet,
  formatUuid,
  makeRowDecoder,
  parseInet,
  parseUuid,
  readTypeOption,
  RowCursor,
  type RowDecoder,
  writeTypeOption
} from "../types/index.ts"
