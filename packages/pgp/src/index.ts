/**
 * @sops-ts/pgp: the OpenPGP key service for sops-ts, in two modes: in-process with openpgp.js
 * ({@link pgpKeyService}, keys passed in) and through the gpg executable ({@link gpgKeyService},
 * as sops does, keeping gpg-agent and smartcards working).
 * @module
 */
export { pgpKeyService } from "./openpgp-service.js"
export type { PgpKeyServiceOptions, PassphraseSource } from "./openpgp-service.js"
export { gpgKeyService, pgpDefaultKeyService } from "./gpg-service.js"
export type { GpgKeyServiceOptions, GpgEnvironment } from "./gpg-service.js"
export type { KeyMaterial } from "./keyring.js"
export { armorMessage } from "./armor.js"
export { parseKeySelector, shortenFingerprint } from "./fingerprint.js"
export type { KeySelector } from "./fingerprint.js"
