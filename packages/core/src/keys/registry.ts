/**
 * A process-wide list of key services, for apps that configure providers once at startup
 * and then call the API without passing `keyServices` each time.
 * @module
 */
import type { KeyService } from "./key-service.js"

const registered: KeyService[] = []

/**
 * Adds a key service to the default list used when an API call passes no `keyServices`.
 * @returns a function that removes it again
 */
export function registerKeyService(service: KeyService): () => void {
  registered.push(service)
  return () => {
    const i = registered.indexOf(service)
    if (i !== -1) registered.splice(i, 1)
  }
}

/** The registered key services, in registration order. */
export function registeredKeyServices(): readonly KeyService[] {
  return registered
}

/** The services an API call uses: the ones passed in, else the registered ones. */
export function resolveKeyServices(passed: readonly KeyService[] | undefined): readonly KeyService[] {
  return passed ?? registered
}
