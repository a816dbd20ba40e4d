/**
 * Passphrase-protected SSH test keys and age files encrypted to them, made once with OpenSSH
 * 9.2p1 and age 1.1.1 (test keys, not secrets):
 *
 * ```sh
 * ssh-keygen -t ed25519 -N "correct horse battery" -C "sops-ts test vector" -f key        # aes256-ctr
 * ssh-keygen -t ed25519 -N "correct horse battery" -Z aes256-gcm@openssh.com \
 *   -C "sops-ts gcm test vector" -f gcmkey
 * age -a -R key.pub -o key.enc data; age -a -R gcmkey.pub -o gcmkey.enc data   # data: 32 random bytes
 * ```
 *
 * They let the unlock path run without ssh-keygen, and from the built package
 * (`import-graph.test.ts`).
 */

/** The passphrase of both keys. */
export const lockedSshPassphrase = "correct horse battery"

/** The 32 bytes both age files hold, in hex. */
export const lockedSshData = "ff061e486965253a54a7fc9c04f26d1e5685fdc69ef494ceab5c97770d0e64ad"

/** An Ed25519 OpenSSH key encrypted with aes256-ctr (ssh-keygen's default), bcrypt 16 rounds. */
export const lockedSshKey = `-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABCciRx4cj
Z2/lQl6VF11EWtAAAAEAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAICh/ajucq7Eg81Zy
iWa+ZecgBPdMp60C+64nmT7b1+xIAAAAoPGzUvd6YFjyU+6IgC5ldUzZx2lJ7V/jk0nzaz
ip0+4Xcw1Dqj0395hBAhTtYeHj43wRpWrOvRIXCKZ0+G5+hj8Om45XeEwToWTJHaykznmS
4UNsCzuNCKaXMf+Iblr8oWP90gr+76iAyTC7wnPLoSGJpCzFRM29wDHtvhVSJZrOEyCswH
xKl9VFLg5lld1n/q0MdZKyT7J/obbsEZUB4F0=
-----END OPENSSH PRIVATE KEY-----
`
export const lockedSshRecipient = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICh/ajucq7Eg81ZyiWa+ZecgBPdMp60C+64nmT7b1+xI sops-ts test vector"
/** {@link lockedSshData} encrypted to {@link lockedSshRecipient} by `age -a -R`. */
export const lockedSshEnc = `-----BEGIN AGE ENCRYPTED FILE-----
YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IHNzaC1lZDI1NTE5IEhkZWlEZyBsWU94
clNGQnRtLzBnVWJ3RkwrT2ZOZUJWelRnQ1VrVjVvMHd5UnY3dFN3Cm1QMTNMRUtF
OU9lS3d4cnBCcXdQZkhiblo5SVMxUThHQ2pyYW8vbXJXZFUKLS0tIDd3bUd4SkZ3
NTF2ZEp5M3BVckVxOFlLOTdIVnZyZ0pBUUZROGVqalBkSlUKoslZaIj8z3tqqYpI
Cy01frorUvHQ/BJJ4uGC6n0VNGE8KJhJfJ2Cx9T+SmaB8QJvtYDNrIOTMF2Z63Zd
zLETuQ==
-----END AGE ENCRYPTED FILE-----
`

/** An Ed25519 OpenSSH key encrypted with aes256-gcm@openssh.com, bcrypt 16 rounds. */
export const lockedSshGcmKey = `-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAAFmFlczI1Ni1nY21Ab3BlbnNzaC5jb20AAAAGYmNyeXB0AA
AAGAAAABBabk7wvDdx43bWRlcCX+EsAAAAEAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAA
ILMMI5XNm4a8fQWQkruhZ57h/+AC5Bi6jlSyIm8aSIB2AAAAoLiiIzkGPQi1Oc6Ei1z6A5
dLAe03uxY3e1MWL7rUJSv4Y+cbrSQeDYelVaeYWJSNsCg3opxdLregiSKcJUPxS7wB7vXd
qnZDXy+CusNI6CBcZQXvt5+nSt/UDsaPwjdnIy4MBqgIKw/feAjNjXSHit0gKW80u2gYKH
P8Qz6CAU6ZxvTMRFmG5+opqKQ/Net/prwrh/UO0QfRh5hrelTRl8S52/ISZcNTZeTY3TtT
A5bg
-----END OPENSSH PRIVATE KEY-----
`
export const lockedSshGcmRecipient = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILMMI5XNm4a8fQWQkruhZ57h/+AC5Bi6jlSyIm8aSIB2 sops-ts gcm test vector"
/** {@link lockedSshData} encrypted to {@link lockedSshGcmRecipient} by `age -a -R`. */
export const lockedSshGcmEnc = `-----BEGIN AGE ENCRYPTED FILE-----
YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IHNzaC1lZDI1NTE5IEY1VEMrdyBxdFNU
NUplVDF3NGFDUkJQZXE4N216WjRtRDE0K21hcWxLTDlxMGFXaW1rCmRxWVZYQnZq
Nk9OOERCemxZeEZUano3NmxMNld3OVNwZkZNVHV0dFp0eDAKLS0tIEJKNXJ6K0di
djBJZFRSQ3FSQ1VzYlNOR1M5TG5HOGQzWGJKOWpxZ05SSlUKBlyzW3ykFIsoUEx2
EDb67x8Mvn3BVo/DE5bg3jvmNRcmxRJQXC7JP5Vn2Clq/R28WsYhoncVVtCTIt+J
x/J1Wg==
-----END AGE ENCRYPTED FILE-----
`
