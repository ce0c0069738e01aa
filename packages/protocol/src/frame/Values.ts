/**
 * The value codecs the frame layer uses (bound values, [option] types, rows), provided by
 * `../types/`: one import point so the frame layer depends on a single module.
 *
 * @internal
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
  type RowDecoder,
  writeTypeOption
} from "../types/index.ts"
