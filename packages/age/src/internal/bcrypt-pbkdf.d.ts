/**
 * Types for `bcrypt-pbkdf` (a CommonJS port of OpenBSD's bcrypt_pbkdf, used by OpenSSH to
 * derive the key of a passphrase-protected private key), which ships none. Only what
 * `ssh-unlock.ts` calls.
 */
declare module "bcrypt-pbkdf" {
  /**
   * Derives `keylen` bytes into `key`.
   * @returns 0, or -1 for invalid arguments (an empty passphrase or salt, no rounds)
   */
  export function pbkdf(
    pass: Uint8Array,
    passlen: number,
    salt: Uint8Array,
    saltlen: number,
    key: Uint8Array,
    keylen: number,
    rounds: number,
  ): number
  const bcryptPbkdf: { readonly pbkdf: typeof pbkdf }
  export default bcryptPbkdf
}
