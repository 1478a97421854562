/** Ids that are part of the user-facing contract (design.md): keep them stable. */

export const Commands = {
  signIn: 'trueconf.signIn',
  signOut: 'trueconf.signOut',
  reconnect: 'trueconf.reconnect',
  sendActiveFile: 'trueconf.sendActiveFile',
  sendSelection: 'trueconf.sendSelection',
  sendFiles: 'trueconf.sendFiles',
  openIncomingFile: 'trueconf.openIncomingFile',
  saveIncomingFileAs: 'trueconf.saveIncomingFileAs',
  refreshIncomingFiles: 'trueconf.refreshIncomingFiles',
  copyIncomingFileName: 'trueconf.copyIncomingFileName',
  removeIncomingFile: 'trueconf.removeIncomingFile',
  /** `{ skipConfirmation: true }` through executeCommand clears without the modal question. */
  clearIncomingFiles: 'trueconf.clearIncomingFiles',
  markIncomingFilesRead: 'trueconf.markIncomingFilesRead',
  showLog: 'trueconf.showLog',
  showSessionMenu: 'trueconf.showSessionMenu',
  chooseCaFile: 'trueconf.chooseCaFile',
  /** `{ server?, fingerprint256?, skipConfirmation? }` when run through executeCommand (README, Troubleshooting). */
  trustServerCertificate: 'trueconf.trustServerCertificate',
  /** `{ server? }` when run through executeCommand; otherwise it asks which. */
  forgetServerCertificate: 'trueconf.forgetServerCertificate',
} as const;

export const Views = {
  container: 'trueconf',
  incomingFiles: 'trueconf.incomingFiles',
} as const;

export const Settings = {
  section: 'trueconf',
  server: 'server',
  username: 'username',
  tlsCaFile: 'tls.caFile',
  tlsRejectUnauthorized: 'tls.rejectUnauthorized',
  selectionSendAs: 'selection.sendAs',
  sendAskForCaption: 'send.askForCaption',
  notificationsNewFiles: 'notifications.newFiles',
  downloadMaxSizeMB: 'download.maxSizeMB',
  incomingHistoryChats: 'incomingFiles.historyChats',
  incomingHistoryDepth: 'incomingFiles.historyDepth',
  incomingIncludeOwn: 'incomingFiles.includeOwn',
  requestTimeoutSeconds: 'requestTimeoutSeconds',
} as const;

export const ContextKeys = {
  signedIn: 'trueconf.signedIn',
  connected: 'trueconf.connected',
  incomingFilesEmpty: 'trueconf.incomingFiles.empty',
} as const;

export const SecretKeys = {
  password: (server: string, username: string) => `trueconf.password:${username}@${server}`,
  token: (server: string, username: string) => `trueconf.token:${username}@${server}`,
} as const;

export const LOG_CHANNEL_NAME = 'TrueConf';

/** URI scheme of received chat files: `trueconf-file:/<chatId>/<fileId>/<name>` (package.json activates on it). */
export const INCOMING_FILE_SCHEME = 'trueconf-file';

/** The connection status bar item (the e2e tests find it by this id). */
export const STATUS_BAR_ITEM_ID = 'trueconf.status';
