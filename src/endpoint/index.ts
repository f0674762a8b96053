export type { Endpoint, EndpointLike, AddressFamily } from './endpoint.js';
export { ANY_ADDRESS, LOOPBACK_ADDRESS } from './endpoint.js';
export { formatEndpoint } from './format.js';
export {
  parseEndpoint,
  toEndpoint,
  checkHost,
  checkPort,
  isValidHost,
  familyOf,
  type EndpointDefaults,
} from './parse.js';
export {
  localAddresses,
  multicastInterfaces,
  interfaceAddress,
  type AddressFlags,
  type LocalAddress,
  type LocalAddressesOptions,
  type MulticastInterface,
} from './interfaces.js';
