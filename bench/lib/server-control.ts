/** The orchestrator's handle on the fake server process (see server-host.ts). */
import { ChildProcess, fork } from 'node:child_process';
import { benchScript } from './util';
import type { ServerCommand } from './server-host';

export class ServerProcess {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly wsUrl: string,
  ) {
    child.on('message', (raw) => {
      const { id, result, error } = raw as { id: number; result?: unknown; error?: string };
      const waiter = this.waiting.get(id);
      this.waiting.delete(id);
      if (error !== undefined) {
        waiter?.reject(new Error(error));
      } else {
        waiter?.resolve(result);
      }
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  static start(storageDir: string): Promise<ServerProcess> {
    const child = fork(benchScript('server-host'), [storageDir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new Promise((resolve, reject) => {
      child.once('message', (raw) => {
        const { url, wsUrl } = raw as { url: string; wsUrl: string };
        resolve(new ServerProcess(child, url, wsUrl));
      });
      child.once('exit', (code) => reject(new Error(`The fake server exited (${code}) before it was ready`)));
    });
  }

  call<C extends ServerCommand['cmd']>(cmd: C, args: Extract<ServerCommand, { cmd: C }>['args']): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.send({ id, cmd, args });
    });
  }

  async createChat(participants: string[]): Promise<string> {
    return (await this.call('createChat', { type: 1, participants })) as string;
  }

  async sendFile(from: string, chatId: string, name: string, data: string | { text: string }): Promise<string> {
    return (await this.call('sendFile', { from, chatId, name, data })) as string;
  }

  async downloadUrlFor(fileId: string): Promise<string> {
    return (await this.call('downloadUrlFor', { fileId })) as string;
  }

  async purgeUploads(): Promise<void> {
    await this.call('purgeUploads', {});
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    await this.call('stop', {}).catch(() => undefined);
    await exited;
  }
}
