/**
 * The in-memory INI document as go-ini (`gopkg.in/ini.v1`) holds it with
 * `AllowNonUniqueSections`: an ordered list of sections (same-named ones kept apart), each an
 * ordered list of unique keys. All names, values and comments are byte strings
 * (see `bytestr.ts`).
 * @module
 */

/** The section go-ini creates before the first header. */
export const DEFAULT_SECTION = "DEFAULT"

/** One `key = value` entry. */
export interface IniKey {
  readonly name: string
  value: string
  /** Comment lines before the key (and an inline comment after its value), `\n`-joined. */
  comment: string
}

/** One section; key names are unique within it (a repeated key updates the first). */
export class IniSection {
  readonly name: string
  /** Comment lines before the header (and an inline comment after it), `\n`-joined. */
  comment = ""
  readonly keys: IniKey[] = []
  private readonly byName = new Map<string, IniKey>()

  /** @param name - the section name, as written between the brackets */
  constructor(name: string) {
    this.name = name
  }

  /**
   * Adds a key, or, like go-ini's `NewKey`, replaces the value of an existing key of that
   * name in place (its position stays that of the first occurrence).
   */
  setKey(name: string, value: string): IniKey {
    const existing = this.byName.get(name)
    if (existing !== undefined) {
      existing.value = value
      return existing
    }
    const key: IniKey = { name, value, comment: "" }
    this.keys.push(key)
    this.byName.set(name, key)
    return key
  }
}
