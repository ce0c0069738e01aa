/**
 * What the text of a statement says about the rows it returns, for choosing skip_metadata below
 * protocol v5: whether it is a SELECT, and whether its columns are the table's (`SELECT *`). It reads
 * only the statement's first words; it does not parse CQL (the server does).
 *
 * @since 0.2.0
 * @internal
 */

/** Comments and spaces before a statement's first word. */
const LEADING = /^(?:\s+|--[^\n]*(?:\n|$)|\/\/[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/
const SELECT = /^select\s/i
const WILDCARD = /^select\s+(?:json\s+)?(?:distinct\s+)?\*/i

/**
 * A SELECT (the only statement whose rows may be asked for again: it changes nothing).
 *
 * @since 0.2.0
 */
export const isSelect = (query: string): boolean => SELECT.test(query.replace(LEADING, ""))

/**
 * `SELECT *` (also with JSON): the columns of its rows are the table's when it runs, so an ALTER
 * TABLE ADD changes them without the statement's id changing.
 *
 * @since 0.2.0
 */
export const isWildcardSelect = (query: string): boolean => WILDCARD.test(query.replace(LEADING, ""))
