/**
 * The fake TrueConf server in a process of its own, so that it never shares an event loop with
 * the client being measured (curl runs in its own process too). The orchestrator drives the
 * server's test API over IPC: `{ id, cmd, args }` → `{ id, result }` or `{ id, error }`.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FakeTrueConfServer } from '../../test/fake-server';

export type ServerCommand =
  | { cmd: 'createChat'; args: { type: 1 | 2; title?: string; participants: string[] } }
  | { cmd: 'sendFile'; args: { from: string; chatId: string; name: string; data: string | { text: string } } }
  | { cmd: 'downloadUrlFor'; args: { fileId: string } }
  | { cmd: 'purgeUploads'; args: Record<string, never> }
  | { cmd: 'stop'; args: Record<string, never> };

async function main(): Promise<void> {
  const storageDir = process.argv[2];
  const server = await FakeTrueConfServer.start({ storageDir });
  const handle = async (message: ServerCommand): Promise<unknown> => {
    switch (message.cmd) {
      case 'createChat':
        return server.createChat(message.args);
      case 'sendFile': {
        const { from, chatId, name, data } = message.args;
        const sent = await server.sendFile(from, chatId, { name, data: typeof data === 'string' ? data : Buffer.from(data.text) });
        return sent.fileId;
      }
      case 'downloadUrlFor':
        return server.downloadUrlFor(message.args.fileId);
      case 'purgeUploads': {
        // Uploaded bodies are kept by the server as long as it runs; a 1 GB run would fill the disk.
        const dir = join(server.storageDir, 'uploads');
        const names = await readdir(dir);
        await Promise.all(names.map((name) => rm(join(dir, name), { force: true })));
        server.clearLog();
        return names.length;
      }
      case 'stop':
        await server.stop();
        setImmediate(() => process.exit(0));
        return true;
    }
  };
  process.on('message', (raw) => {
    const { id, ...message } = raw as ServerCommand & { id: number };
    handle(message as ServerCommand).then(
      (result) => process.send?.({ id, result }),
      (err: unknown) => process.send?.({ id, error: err instanceof Error ? err.message : String(err) }),
    );
  });
  process.on('disconnect', () => {
    void server.stop().finally(() => process.exit(0));
  });
  process.send?.({ ready: true, url: server.url, wsUrl: server.wsUrl });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
