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
  showLog: 'trueconf.showLog',
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
  notificationsNewFiles: 'notifications.newFiles',
  downloadMaxSizeMB: 'download.maxSizeMB',
} as const;

export const ContextKeys = {
  signedIn: 'trueconf.signedIn',
  connected: 'trueconf.connected',
} as const;

export const SecretKeys = {
  password: (server: string, username: string) => `trueconf.password:${username}@${server}`,
  token: (server: string, username: string) => `trueconf.token:${username}@${server}`,
} as const;

export const LOG_CHANNEL_NAME = 'TrueConf';
