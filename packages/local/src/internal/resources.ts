/**
 * Files shipped in packages/local/resources (next to src/ and dist/). Read-only: the per-node copies
 * under a cluster's folder are written by `cluster.ts`.
 *
 * @internal
 */
import * as fs from "node:fs"
import { fileURLToPath } from "node:url"

/**
 * Absolute path of a file shipped in `packages/local/resources`.
 *
 * @since 0.1.0
 */
export const resourcePath = (name: string): string => fileURLToPath(new URL(`../../resources/${name}`, import.meta.url))

/**
 * The text of a file shipped in `packages/local/resources`.
 *
 * @since 0.1.0
 */
export const resource = (name: string): string => fs.readFileSync(resourcePath(name), "utf8")
