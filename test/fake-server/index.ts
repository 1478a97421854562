/**
 * A TrueConf-compatible server for tests and the sandbox (design.md, protocol.md §7).
 *
 *   const server = await FakeTrueConfServer.start({ dialect: 'seed' });
 *   ... point a client at server.url ...
 *   await server.stop();
 */
export { FakeTrueConfServer, DEFAULT_USERS, ErrorCode, FAKE_SERVER_VERSION, parseRange } from './server';
export type { Faults } from './server';
export type {
  Dialect,
  FakeUser,
  FakeServerOptions,
  UploadLimits,
  StoredMessage,
  ServerLog,
  RequestLogEntry,
  NotificationLogEntry,
  HttpLogEntry,
  UploadLogEntry,
  DownloadLogEntry,
  TokenLogEntry,
  InjectFileOptions,
  TokenEndpointMode,
  ChatType,
  ParticipantRole,
} from './types';
export { mintJwt, verifyJwt, decodeJwtPayload } from './jwt';
export type { JwtClaims } from './jwt';
export { MultipartParser, MultipartError, BodyAbortedError, parseBoundary, receiveMultipart } from './multipart';
export { makePng, crc32 } from './png';
