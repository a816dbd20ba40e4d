/**
 * A minimal auth client for a static bearer token (`GOOGLE_OAUTH_ACCESS_TOKEN`), shaped like
 * the google-auth-library clients that google-gax calls: `getRequestHeaders` for gRPC and
 * `fetch` for REST.
 * @module
 */
import type { GcpAccessToken } from "./options.js"

/** The members of an auth client that google-gax uses. */
export interface BearerAuthClient {
  readonly universeDomain: string
  getRequestHeaders(url?: string): Promise<Headers>
  getAccessToken(): Promise<{ token: string }>
  fetch(url: string | URL, init?: RequestInit): Promise<Response>
}

/**
 * An auth client that sends `token` as `Authorization: Bearer …` and never refreshes it.
 * @param token - the token, or a function returning the current one
 * @param universeDomain - must match the client's universe domain (google-gax checks it)
 */
export function bearerAuthClient(token: GcpAccessToken, universeDomain: string): BearerAuthClient {
  const current = async (): Promise<string> => (typeof token === "string" ? token : await token())
  const headers = async (): Promise<Headers> => new Headers({ authorization: `Bearer ${await current()}` })
  return {
    universeDomain,
    getRequestHeaders: headers,
    getAccessToken: async () => ({ token: await current() }),
    async fetch(url, init) {
      const h = new Headers(init?.headers)
      for (const [k, v] of await headers()) h.set(k, v)
      // google-gax passes gaxios-only fields (agent, responseType) that fetch ignores.
      return fetch(url, { ...init, headers: h })
    },
  }
}
