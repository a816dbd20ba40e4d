/**
 * Opening the symmetric layer of a PGP message with a session key obtained from gpg, to read
 * the literal data packet's raw bytes.
 * @module
 */
import { decrypt, enums, readMessage } from "openpgp"
import { SopsError } from "@sops-ts/core"
import { errorText } from "./keyring.js"

/**
 * Decrypts `armored` with a session key in gpg's `<algorithm-number>:<hex>` notation (the
 * `SESSION_KEY` status line) and returns the literal data exactly as stored, without the
 * line-ending conversion gpg applies to text-mode (`t`, `u`) literal packets.
 * @throws SopsError `ERR_KEY_FAILED` when the session key is malformed or does not open the message
 */
export async function decryptWithSessionKey(armored: string, sessionKey: string, fp: string): Promise<Uint8Array> {
  const m = /^(\d+):([0-9A-Fa-f]+)$/.exec(sessionKey)
  const algorithmId = m ? Number(m[1]) : NaN
  let algorithm: enums.symmetricNames | undefined
  try {
    algorithm = enums.read(enums.symmetric, algorithmId) as enums.symmetricNames
  } catch {
    algorithm = undefined
  }
  if (!m?.[2] || !algorithm) {
    throw new SopsError("ERR_KEY_FAILED", `gpg reported a session key in an unknown form for PGP key ${fp}`)
  }
  const data = Uint8Array.from(Buffer.from(m[2], "hex"))
  try {
    const message = await readMessage({ armoredMessage: armored.trim() })
    const result = await decrypt({ message, sessionKeys: { data, algorithm }, format: "binary" })
    return result.data
  } catch (err) {
    throw new SopsError("ERR_KEY_FAILED", `could not read the literal data of the data key for PGP key ${fp}: ${errorText(err)}`, {
      cause: err,
    })
  } finally {
    data.fill(0)
  }
}
