// Files shipped in packages/local/resources (next to src/ and dist/).
import * as fs from "node:fs"
import { fileURLToPath } from "node:url"

export const resourcePath = (name: string): string => fileURLToPath(new URL(`../../resources/${name}`, import.meta.url))

export const resource = (name: string): string => fs.readFileSync(resourcePath(name), "utf8")
