// Request and response headers, and framing of whole requests and responses.
//
// Which header version a message uses depends on its API key and version, which the request header
// itself carries, so this is hand-written around the generated `apis` table rather than a plain use
// of the generated RequestHeader/ResponseHeader codecs (which take the header version as given):
//   request header v1  api_key int16, api_version int16, correlation_id int32, client_id NULLABLE_STRING
//   request header v2  v1 + tagged fields, when the request version is flexible (client_id stays a
//                      classic int16-length string so any broker can read it)
//   request header v0  v1 without client_id: only ControlledShutdown v0
//   response header v0 correlation_id int32
//   response header v1 v0 + tagged fields, when the request version is flexible, EXCEPT ApiVersions
//                      (key 18) whose response header is always v0, so that a client can read the
//                      answer to a version it guessed too high (KIP-511).
import type { AnyApiDefinition, ApiDefinition } from './codec-types.ts';
import { apiForKey } from './messages/index.ts';
import type { Reader, UnknownTag } from './reader.ts';
import { Writer } from './writer.ts';

const API_VERSIONS_KEY = 18;
const CONTROLLED_SHUTDOWN_KEY = 7;

export interface DecodedRequestHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  /** False when Kafka 3.8 defines no such API key, or not this version of it: don't decode the body. */
  readonly supported: boolean;
  readonly headerVersion: 0 | 1 | 2;
  /** Tagged fields of a v2 header, if any were sent. */
  readonly tags?: UnknownTag[];
}

export interface RequestHeaderFields {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
}

function isFlexible(api: AnyApiDefinition | undefined, apiVersion: number): boolean {
  return api !== undefined && api.flexibleMinVersion !== null && apiVersion >= api.flexibleMinVersion;
}

/**
 * Request header version for an API key and version. Flexible versions are open-ended ("9+"), so a
 * version above the maximum still gets a v2 header: that is how a client sends it. An unknown key
 * is assumed to use v1 (its body cannot be parsed anyway).
 */
export function requestHeaderVersion(apiKey: number, apiVersion: number): 0 | 1 | 2 {
  if (apiKey === CONTROLLED_SHUTDOWN_KEY && apiVersion === 0) return 0;
  return isFlexible(apiForKey(apiKey), apiVersion) ? 2 : 1;
}

export function responseHeaderVersion(apiKey: number, apiVersion: number): 0 | 1 {
  if (apiKey === API_VERSIONS_KEY) return 0;
  return isFlexible(apiForKey(apiKey), apiVersion) ? 1 : 0;
}

/** Reads a request header; the reader is left at the start of the body. */
export function decodeRequestHeader(r: Reader): DecodedRequestHeader {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const headerVersion = requestHeaderVersion(apiKey, apiVersion);
  const clientId = headerVersion >= 1 ? r.nullableString('clientId') : null;
  const tags = headerVersion === 2 ? r.unknownTags() : undefined;
  const api = apiForKey(apiKey);
  const supported = api !== undefined && apiVersion >= api.minVersion && apiVersion <= api.maxVersion;
  const header = { apiKey, apiVersion, correlationId, clientId, supported, headerVersion };
  return tags === undefined ? header : { ...header, tags };
}

export function encodeRequestHeader(w: Writer, header: RequestHeaderFields): void {
  const headerVersion = requestHeaderVersion(header.apiKey, header.apiVersion);
  w.int16(header.apiKey);
  w.int16(header.apiVersion);
  w.int32(header.correlationId);
  if (headerVersion >= 1) w.nullableString(header.clientId);
  if (headerVersion === 2) w.uvarint(0);
}

/**
 * Writes the response header for a request of this API key and version. A v1 header gets an empty
 * tagged-field section (a single 0x00): some clients skip exactly one byte there.
 */
export function encodeResponseHeader(
  w: Writer,
  apiKey: number,
  apiVersion: number,
  correlationId: number,
): void {
  w.int32(correlationId);
  if (responseHeaderVersion(apiKey, apiVersion) === 1) w.uvarint(0);
}

export function decodeResponseHeader(
  r: Reader,
  apiKey: number,
  apiVersion: number,
): { correlationId: number; tags?: UnknownTag[] } {
  const correlationId = r.int32();
  if (responseHeaderVersion(apiKey, apiVersion) === 0) return { correlationId };
  const tags = r.unknownTags();
  return tags === undefined ? { correlationId } : { correlationId, tags };
}

/** A whole request frame: int32 size, header, body. */
export function encodeRequest<Req, Res>(
  api: ApiDefinition<Req, Res>,
  apiVersion: number,
  correlationId: number,
  clientId: string | null,
  body: Req,
): Buffer {
  const w = new Writer();
  w.int32(0);
  encodeRequestHeader(w, { apiKey: api.apiKey, apiVersion, correlationId, clientId });
  api.request.encode(w, apiVersion, body);
  w.setInt32(0, w.length - 4);
  return w.toBuffer();
}

/** A whole response frame: int32 size, header, body. */
export function encodeResponse<Req, Res>(
  api: ApiDefinition<Req, Res>,
  apiVersion: number,
  correlationId: number,
  body: Res,
): Buffer {
  const w = new Writer();
  w.int32(0);
  encodeResponseHeader(w, api.apiKey, apiVersion, correlationId);
  api.response.encode(w, apiVersion, body);
  w.setInt32(0, w.length - 4);
  return w.toBuffer();
}
