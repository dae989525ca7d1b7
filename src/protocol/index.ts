// The Kafka wire protocol, sans-io: primitives, generated message codecs, headers and framing.
// Other protocol modules (record batches, CRC-32C, compression, error codes) add their exports here.
export { Reader, type UnknownTag } from './reader.ts';
export { Writer } from './writer.ts';
export { ProtocolDecodeError } from './decode-error.ts';
export { ProtocolEncodeError, type EncodeErrorContext } from './encode-error.ts';
export * from './messages/index.ts';
// Named re-exports take precedence over the generated RequestHeader/ResponseHeader codecs of the same
// names (exported by messages/index.ts): these pick the header version from the API key and version.
export {
  decodeRequestHeader,
  decodeResponseHeader,
  encodeRequest,
  encodeRequestHeader,
  encodeResponse,
  encodeResponseHeader,
  requestHeaderVersion,
  responseHeaderVersion,
  type DecodedRequestHeader,
  type RequestHeaderFields,
} from './headers.ts';
