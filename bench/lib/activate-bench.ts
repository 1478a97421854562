/**
 * Figure 6: load the production bundle and run activate() in a fresh process, on the `vscode`
 * stub, with every outgoing connection and DNS lookup counted (net.Socket#connect, which
 * net/tls/http/undici/ws all go through, and dns.lookup). `args.signedIn`: the secret storage
 * holds a password for the configured server, so a session restore follows activation.
 */
import dns from 'node:dns';
import * as net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { childMain, sleep } from './util';
import * as stub from './vscode-stub';

export interface ActivateResult {
  loadMs: number;
  activateMs: number;
  /** Connections and lookups attempted while the bundle loaded and activate() ran. */
  networkDuringActivation: string[];
  /** …and in the second after activate() returned. */
  networkAfter: string[];
  commands: number;
  fallbacks: string[];
}

interface Args {
  bundle: string;
  root: string;
  signedIn: boolean;
}

const QUIET_MS = 1000;

async function main(): Promise<ActivateResult> {
  const args = JSON.parse(process.argv[2]) as Args;
  let phase: 'activation' | 'after' = 'activation';
  const attempts = { activation: [] as string[], after: [] as string[] };
  const record = (what: string) => attempts[phase].push(what);

  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    // Node calls it with its normalised [options, callback] array; user code with (options | port, …).
    const raw = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
    const first = raw as { host?: string; port?: number; path?: string } | number | string;
    record(`connect ${typeof first === 'object' ? (first.path ?? `${first.host ?? 'localhost'}:${first.port}`) : String(first)}`);
    return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof connect;
  const lookup = dns.lookup;
  (dns as { lookup: unknown }).lookup = function (hostname: string, ...rest: unknown[]) {
    record(`dns ${hostname}`);
    return (lookup as (...a: unknown[]) => unknown).call(dns, hostname, ...rest);
  };

  stub.installVscodeStub();
  const server = 'http://127.0.0.1:9';
  if (args.signedIn) {
    stub.settings.set('trueconf.server', server);
    stub.settings.set('trueconf.username', 'alice');
  }
  const storage = mkdtempSync(join(tmpdir(), 'trueconf-bench-activate-'));
  const context = stub.extensionContext({
    root: args.root,
    storage,
    secrets: args.signedIn ? { [`trueconf.password:alice@${server}`]: 'alice-pass' } : {},
  }) as { subscriptions: Array<{ dispose(): unknown }> };

  let t0: number, t1: number, t2: number;
  try {
    t0 = performance.now();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const extension = require(args.bundle) as { activate(ctx: unknown): unknown };
    t1 = performance.now();
    extension.activate(context);
    t2 = performance.now();
    phase = 'after';
    await sleep(QUIET_MS);
    for (const d of [...context.subscriptions].reverse()) {
      try {
        d.dispose();
      } catch {
        // disposal errors do not matter here
      }
    }
  } finally {
    rmSync(storage, { recursive: true, force: true });
  }
  return {
    loadMs: t1 - t0,
    activateMs: t2 - t1,
    networkDuringActivation: attempts.activation,
    networkAfter: attempts.after,
    commands: stub.registeredCommands.length,
    fallbacks: [...stub.fallbacks],
  };
}

childMain(main);
