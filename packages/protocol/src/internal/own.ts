/**
 * Own data properties from wire keys. Not exported from the package.
 *
 * @internal
 */

/**
 * Sets `o[k] = v` as an own data property, even for `__proto__` (a key from the wire never sets a prototype).
 *
 * @since 0.1.0
 */
export const setOwn = (o: Record<string, unknown>, k: string, v: unknown): void => {
  if (k === "__proto__") Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true })
  else o[k] = v
}
