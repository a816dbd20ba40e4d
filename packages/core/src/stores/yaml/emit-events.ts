/**
 * Node graph → event stream, as go-yaml's serializer (`encode.go:node`) produces it. The event
 * form matters because go-yaml's emitter attaches comments per event: a key's foot comment
 * travels as the *tail* comment of the next key (or of the mapping's end), and a container's
 * line and foot comments travel on its end event.
 * @module
 */
import type { ScalarText } from "./emit-scalar.js"
import type { YamlNode } from "./emit-nodes.js"

/** Event kinds (no aliases: sops expands them on load). */
export const enum EventType {
  StreamStart,
  StreamEnd,
  DocumentStart,
  DocumentEnd,
  SequenceStart,
  SequenceEnd,
  MappingStart,
  MappingEnd,
  Scalar,
}

/** One emitter event with the comments go-yaml would attach to it (`""` = none). */
export interface YamlEvent {
  readonly type: EventType
  readonly scalar?: ScalarText
  readonly head: string
  readonly line: string
  readonly foot: string
  readonly tail: string
}

/** A bare structural event (a literal, not a spread, so every event has the same shape). */
export function plainEvent(type: EventType): YamlEvent {
  return { type, head: "", line: "", foot: "", tail: "" }
}

/** Appends the events of `node` (and its children) to `out`. */
export function serializeNode(node: YamlNode, tail: string, out: YamlEvent[]): void {
  switch (node.kind) {
    case "scalar":
      // The node doubles as its event unless a tail comment has to be attached.
      out.push(tail === "" ? node : { type: EventType.Scalar, scalar: node.scalar, head: node.head, line: node.line, foot: node.foot, tail })
      return
    case "sequence":
      out.push({ type: EventType.SequenceStart, head: node.head, line: "", foot: "", tail: "" })
      for (const child of node.content) serializeNode(child, "", out)
      out.push({ type: EventType.SequenceEnd, head: "", line: node.line, foot: node.foot, tail: "" })
      return
    case "mapping": {
      out.push({ type: EventType.MappingStart, head: node.head, line: "", foot: "", tail })
      let pending = ""
      const c = node.content
      for (let i = 0; i + 1 < c.length; i += 2) {
        let key = c[i] as YamlNode
        const foot = key.foot
        // The key's foot comment is written as the tail of whatever follows it.
        if (foot !== "") key = { ...key, foot: "" }
        serializeNode(key, pending, out)
        pending = foot
        serializeNode(c[i + 1] as YamlNode, "", out)
      }
      out.push({ type: EventType.MappingEnd, head: "", line: node.line, foot: node.foot, tail: pending })
      return
    }
  }
}
