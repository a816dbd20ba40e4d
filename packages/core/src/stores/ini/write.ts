/**
 * The INI writer, reproducing go-ini v1.67 `File.WriteTo` with its package defaults
 * (`PrettyFormat`, `PrettySection`, no `DefaultHeader`, `\n` line breaks), which is what sops
 * output looks like:
 *
 * - comment lines before a section header or key, each as `; text` (or `#`/`;` kept);
 * - no header for a first section named `DEFAULT`, which is left out when it has no keys;
 * - ` = ` aligned to the longest key of the section; keys with `"`, `=` or `:` in backticks,
 *   keys with a backtick in `"""`;
 * - values with a line break or backtick in `"""…"""`, else with `#`/`;` in backticks, else
 *   with surrounding white space in `"…"`; an empty value leaves `key = ` (trailing space);
 * - one blank line between sections.
 * @module
 */
import { trimSpace } from "./bytestr.js"
import { DEFAULT_SECTION, type IniSection } from "./model.js"

function commentLines(comment: string, trimPlain: boolean): string {
  let out = ""
  for (const line of comment.split("\n")) {
    const first = line[0]
    if (first === "#" || first === ";") out += first + " " + trimSpace(line.slice(1)) + "\n"
    // go-ini trims plain key comment lines but not section comment lines.
    else out += "; " + (trimPlain ? trimSpace(line) : line) + "\n"
  }
  return out
}

function quoteKey(name: string): string {
  if (name.includes('"') || name.includes("=") || name.includes(":")) return "`" + name + "`"
  if (name.includes("`")) return '"""' + name + '"""'
  return name
}

function quoteValue(value: string): string {
  if (value.includes("\n") || value.includes("`")) return '"""' + value + '"""'
  if (value.includes("#") || value.includes(";")) return "`" + value + "`"
  if (trimSpace(value).length !== value.length) return '"' + value + '"'
  return value
}

/**
 * Serialises sections to an INI byte string.
 *
 * @param sections - the sections in order; names, values and comments are byte strings
 * @returns the file as a byte string
 */
export function writeIni(sections: readonly IniSection[]): string {
  const out: string[] = []
  const last = sections.length - 1
  sections.forEach((section, i) => {
    if (section.comment.length > 0) out.push(commentLines(section.comment, false))
    if (i > 0 || section.name.toUpperCase() !== DEFAULT_SECTION) {
      out.push("[" + section.name + "]\n")
    } else if (section.keys.length === 0) {
      return
    }
    let align = 0
    const names = section.keys.map((k) => quoteKey(k.name))
    for (const name of names) if (name.length > align) align = name.length
    section.keys.forEach((key, k) => {
      if (key.comment.length > 0) out.push(commentLines(key.comment, true))
      const name = names[k]!
      out.push(name, " ".repeat(align - name.length), " = ", quoteValue(key.value), "\n")
    })
    if (i !== last) out.push("\n")
  })
  return out.join("")
}
