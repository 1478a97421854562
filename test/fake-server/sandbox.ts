/**
 * The TrueConf sandbox: the fake server with demo people, chats and files, for trying
 * the extension without a real TrueConf Server.
 *
 *   npm run sandbox            (compiles, then runs node out/test/fake-server/sandbox.js)
 *
 * Environment:
 *   TRUECONF_SANDBOX_PORT         port on 127.0.0.1 (default 4309, the TrueConf Bridge port)
 *   TRUECONF_SANDBOX_INTERVAL_MS  how often Anna sends a log file (default 60000; 0 = never)
 *   TRUECONF_SANDBOX_DIALECT      'live' (default) or 'seed' (protocol.md §0)
 *
 * Scripts wait for the line "TrueConf sandbox listening on <url>", printed once the
 * demo data is in place.
 */
import { FakeTrueConfServer } from './server';
import { makePng } from './png';
import type { Dialect, FakeUser, StoredMessage } from './types';

export const SANDBOX_READY_PREFIX = 'TrueConf sandbox listening on ';

export const SANDBOX_USERS: readonly FakeUser[] = [
  { login: 'demo', password: 'demo', displayName: 'Demo Developer' },
  { login: 'anna', password: 'anna-pass', displayName: 'Anna Ivanova' },
  { login: 'boris', password: 'boris-pass', displayName: 'Boris Petrov' },
];

export interface SandboxOptions {
  port?: number;
  /** Anna's log file cadence; 0 disables it. Default 60 000 ms. */
  intervalMs?: number;
  dialect?: Dialect;
  domain?: string;
  /** How long Anna takes to answer the demo user. Default 1500 ms. */
  replyDelayMs?: number;
}

export interface Sandbox {
  server: FakeTrueConfServer;
  chats: { anna: string; backend: string; releases: string; favorites: string };
  /** Make Anna send the next log file now (what the timer does). */
  sendLogNow(): Promise<void>;
  stop(): Promise<void>;
}

const RETRY_TS = `/**
 * Retry an async operation with exponential backoff and jitter.
 */
export async function retry<T>(op: () => Promise<T>, attempts = 5, baseMs = 200): Promise<T> {
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await op();
    } catch (err) {
      lastError = err;
      const delay = Math.min(10_000, baseMs * 2 ** i) * (0.5 + Math.random() / 2);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
  throw lastError;
}
`;

const RELEASE_NOTES_MD = `# Release 2.4.0

## Highlights
- Faster cold start of the API gateway (-35 %)
- New \`/health/ready\` endpoint for the load balancer

## Fixes
- Token refresh no longer races with reconnects
- Upload retries resume instead of starting over

## Upgrade notes
Run \`npm run migrate\` before restarting the workers.
`;

function logFile(n: number, lines: number): Buffer {
  const out: string[] = [];
  const start = Date.now() - lines * 1000;
  const levels = ['INFO', 'INFO', 'INFO', 'DEBUG', 'WARN'];
  for (let i = 0; i < lines; i++) {
    const level = i === lines - 3 ? 'ERROR' : levels[i % levels.length];
    const what =
      level === 'ERROR'
        ? 'payment-service: upstream timed out after 30000 ms (attempt 3/3)'
        : `worker-${(i % 4) + 1}: processed batch ${n * 1000 + i} in ${20 + ((i * 37) % 180)} ms`;
    out.push(`${new Date(start + i * 1000).toISOString()} ${level.padEnd(5)} ${what}`);
  }
  return Buffer.from(`${out.join('\n')}\n`);
}

/** Start the sandbox server with its demo data (without printing anything). */
export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const server = await FakeTrueConfServer.start({
    port: opts.port ?? 4309,
    domain: opts.domain ?? 'trueconf.sandbox',
    dialect: opts.dialect ?? 'live',
    users: [...SANDBOX_USERS],
  });
  const chats = {
    anna: server.createChat({ type: 1, participants: ['demo', 'anna'] }),
    backend: server.createChat({ type: 2, title: 'Backend team', participants: ['anna', 'demo', 'boris'] }),
    releases: server.createChat({ type: 6, title: 'Releases', participants: ['demo', 'anna', 'boris'] }),
    favorites: server.createChat({ type: 5, participants: ['demo'] }), // untitled, like real favourites
  };

  // Earlier conversation, oldest first.
  const hour = 60 * 60 * 1000;
  const at = (hoursAgo: number): number => Date.now() - hoursAgo * hour;
  await server.sendText('boris', chats.backend, 'Morning! Retry helper for the gateway is ready for review.', 'text', { timestamp: at(26) });
  await server.sendFile('boris', chats.backend, { name: 'retry.ts', data: Buffer.from(RETRY_TS), mimeType: 'text/x-typescript', timestamp: at(26) - 1000 });
  await server.sendText('anna', chats.releases, '<b>2.4.0</b> is out, notes attached.', 'html', { timestamp: at(20) });
  await server.sendFile('anna', chats.releases, { name: 'RELEASE_NOTES.md', data: Buffer.from(RELEASE_NOTES_MD), mimeType: 'text/markdown', timestamp: at(20) - 1000 });
  await server.sendText('demo', chats.favorites, 'Remember: rotate the staging keys on Friday.', 'text', { timestamp: at(8) });
  await server.sendText('anna', chats.anna, 'Hi! Here is the dashboard after the fix.', 'text', { timestamp: at(2) });
  await server.sendFile('anna', chats.anna, { name: 'dashboard.png', data: makePng(96, 64), mimeType: 'image/png', timestamp: at(2) - 1000 });
  await server.sendFile('anna', chats.anna, { name: 'build-41.log', data: logFile(41, 40), mimeType: 'text/plain', timestamp: at(1) });

  // Anna sends a log file now and then; every other one uploads slowly so progress shows.
  let n = 42;
  const sendLogNow = async (): Promise<void> => {
    const count = n++;
    const slow = count % 2 === 0;
    await server.sendText('anna', chats.anna, `Log from build #${count}${slow ? ' (still uploading from my laptop…)' : ''}`);
    await server.sendFile('anna', chats.anna, {
      name: `build-${count}.log`,
      data: logFile(count, slow ? 4000 : 60),
      mimeType: 'text/plain',
      uploadMs: slow ? 8000 : 0,
    });
  };
  const intervalMs = opts.intervalMs ?? 60_000;
  const timer = intervalMs > 0 ? setInterval(() => void sendLogNow().catch(() => undefined), intervalMs) : null;

  // Anna answers what the demo user sends her.
  const onMessage = (env: StoredMessage): void => {
    if (env.chatId !== chats.anna || env.author.id !== server.userId('demo')) {
      return;
    }
    const name = typeof env.content.name === 'string' ? env.content.name : null;
    setTimeout(() => {
      void server
        .sendText('anna', chats.anna, name ? `Got ${name}, thanks! I'll take a look.` : 'Thanks! 👍', 'text', { replyMessageId: env.messageId })
        .catch(() => undefined);
    }, opts.replyDelayMs ?? 1500).unref();
  };
  server.on('message', onMessage);

  return {
    server,
    chats,
    sendLogNow,
    async stop() {
      if (timer) {
        clearInterval(timer);
      }
      server.off('message', onMessage);
      await server.stop();
    },
  };
}

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') {
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  }
  return value;
}

async function main(): Promise<void> {
  const dialect = (process.env.TRUECONF_SANDBOX_DIALECT ?? 'live') as Dialect;
  if (dialect !== 'live' && dialect !== 'seed') {
    throw new Error(`TRUECONF_SANDBOX_DIALECT must be "live" or "seed", got "${String(dialect)}"`);
  }
  const intervalMs = envNumber('TRUECONF_SANDBOX_INTERVAL_MS', 60_000);
  const sandbox = await startSandbox({ port: envNumber('TRUECONF_SANDBOX_PORT', 4309), intervalMs, dialect });
  const { server } = sandbox;
  const lines = [
    'TrueConf sandbox — a fake TrueConf Server for trying TrueConf Share',
    `  Server address:  ${server.url}`,
    `  Sign in as:      demo / demo   (TrueConf ID ${server.userId('demo')})`,
    '  Colleagues:      Anna Ivanova (anna), Boris Petrov (boris)',
    '  Chats:           Anna Ivanova (P2P), Backend team (group), Releases (channel), Favorites',
    intervalMs > 0
      ? `  Anna sends a build log every ${Math.round(intervalMs / 1000)} s (TRUECONF_SANDBOX_INTERVAL_MS); every other one uploads slowly.`
      : '  Anna sends no periodic logs (TRUECONF_SANDBOX_INTERVAL_MS=0).',
    `  Wire dialect:    ${dialect}. Stop with Ctrl+C.`,
    `${SANDBOX_READY_PREFIX}${server.url}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      process.exit(130);
    }
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the TrueConf sandbox…\n`);
    sandbox.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    const code = (err as NodeJS.ErrnoException).code;
    const hint = code === 'EADDRINUSE' ? ' (the port is taken; set TRUECONF_SANDBOX_PORT)' : '';
    process.stderr.write(`TrueConf sandbox failed to start: ${err instanceof Error ? err.message : String(err)}${hint}\n`);
    process.exit(1);
  });
}
