/**
 * The documents `edit` starts a new file from (sops `EmitExample`).
 * @module
 */
import { Comment, TreeBranch, type Format, type TreeBranches } from "@sops-ts/core"

const WELCOME = "Welcome to SOPS! Edit this file as you please!"

/** The example tree sops uses for `format`. */
export function exampleBranches(format: Format): TreeBranches {
  switch (format) {
    case "yaml":
    case "json":
      return [
        new TreeBranch([
          { key: "hello", value: WELCOME },
          { key: "example_key", value: "example_value" },
          { key: new Comment(" Example comment"), value: null },
          { key: "example_array", value: ["example_value1", "example_value2"] },
          { key: "example_number", value: 1234.56789 },
          { key: "example_booleans", value: [true, false] },
        ]),
      ]
    case "ini":
      return [
        new TreeBranch([
          {
            key: "Welcome!",
            value: new TreeBranch([
              { key: new Comment(" This is an example file."), value: null },
              { key: "hello", value: WELCOME },
              { key: "example_key", value: "example_value" },
            ]),
          },
        ]),
      ]
    case "dotenv":
      return [
        new TreeBranch([
          { key: new Comment(" This is an example file."), value: null },
          { key: "hello", value: WELCOME },
          { key: "example_key", value: "example_value" },
          { key: "example_multiline", value: "foo\nbar\nbaz" },
        ]),
      ]
    case "binary":
      return [new TreeBranch([{ key: "data", value: WELCOME }])]
  }
}
