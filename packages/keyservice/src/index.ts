/**
 * @sops-ts/keyservice: sops' key-service gRPC protocol (field-compatible with Go sops'
 * `keyservice.proto`): a client that is itself a `KeyService`, and a server that serves local
 * key services with an approval hook. gRPC is loaded only when a client calls or a server starts.
 * @module
 */
export { keyServiceClient, remoteKeyService } from "./client.js"
export type { KeyServiceClientOptions, RemoteKeyService, RemoteKeyServiceOptions } from "./client.js"
export { parseKeyServiceUri } from "./uri.js"
export type { KeyServiceAddress } from "./uri.js"
export { startKeyServiceServer } from "./server.js"
export type { KeyServiceServerOptions, KeyServiceServerHandle, KeyServiceRequest } from "./server.js"
export { runKeyServiceCommand } from "./command.js"
export type { KeyServiceCommandIo, KeyServiceCommandWritable } from "./command.js"
export { masterKeyToProto, protoToMasterKey, PROTOCOL_KEY_TYPES } from "./key-message.js"
export type {
  ProtoKey,
  ProtoKmsKey,
  ProtoEncryptRequest,
  ProtoEncryptResponse,
  ProtoDecryptRequest,
  ProtoDecryptResponse,
  KeyMessageProblem,
} from "./key-message.js"
export { PROTO_PATH, loadProtocol } from "./proto.js"
export type { Protocol, KeyServiceDefinition } from "./proto.js"
