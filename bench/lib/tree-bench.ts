/**
 * Figure 5: the Incoming Files tree with 10,000 files in 200 chats, in a fresh process.
 *
 * - index: the vscode-free part (src/common/incomingOrder.ts) — upsert 10,000 files, then the
 *   chat order and every chat's list.
 * - build: the real model and view (IncomingFilesService restoring the list from globalState,
 *   IncomingFilesTreeProvider, IncomingFilesView) on the `vscode` stub, then every node
 *   materialised the way VS Code asks for it: getChildren() of the root, getTreeItem() of each
 *   chat, getChildren() of each chat and getTreeItem() of each file.
 * - update: one more file pushed by the server (a `sendMessage` notification through the same
 *   client listener the extension uses) until the provider has answered what VS Code asks back
 *   for the change it announced (and the decorations VS Code re-reads), measured per arrival.
 */
import { performance } from 'node:perf_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childMain, median } from './util';
import * as stub from './vscode-stub';
import type { IncomingFile } from '../../src/trueconf/types';

const CHATS = 200;
const FILES = 10_000;
const ARRIVALS = 25;
const SERVER = 'http://127.0.0.1:1';
const ME = 'alice@trueconf.test';

export interface TreeResult {
  indexMs: number;
  buildMs: number;
  modelMs: number;
  materialiseMs: number;
  nodes: { chats: number; files: number };
  updates: Record<string, { medianMs: number; firstMs: number; maxMs: number; asked: string }>;
  persistMs: number;
  fallbacks: string[];
}

/** A received file as the model stores it: always ready, always with its chat's title and type. */
type FileRecord = IncomingFile & { readyState: 2; chatTitle: string; chatType: number };

function makeFiles(now: number): FileRecord[] {
  const files: FileRecord[] = [];
  for (let i = 0; i < FILES; i++) {
    const chat = (i * 7919) % CHATS; // chats interleave in time
    files.push({
      chatId: `chat-${String(chat).padStart(3, '0')}`,
      messageId: `msg-${i}`,
      timestamp: now - (FILES - i) * 60_000,
      authorId: `user${chat % 37}@trueconf.test/inst`,
      fileId: `file-${i.toString(16).padStart(8, '0')}`,
      name: `build-log-${i}.txt`,
      size: 1000 + ((i * 104729) % 5_000_000),
      mimeType: 'text/plain',
      readyState: 2,
      chatTitle: `Team ${chat}`,
      chatType: 2,
    });
  }
  return files;
}

/** What VS Code does with onDidChangeTreeData: re-read the changed nodes (everything for `undefined`) and the children of the expanded ones. */
interface TreeLike {
  getChildren(element?: unknown): unknown[];
  getTreeItem(element: unknown): { collapsibleState?: number };
}

async function main(): Promise<TreeResult> {
  stub.installVscodeStub();
  let decorationProvider: { onDidChangeFileDecorations?: (l: (e: unknown) => void) => unknown; provideFileDecoration(uri: unknown): unknown } | undefined;
  (stub.window as unknown as Record<string, unknown>).registerFileDecorationProvider = (p: typeof decorationProvider) => {
    decorationProvider = p;
    return new stub.Disposable(() => undefined);
  };

  const { IncomingFileIndex } = await import('../../src/common/incomingOrder');
  const { IncomingFilesService } = await import('../../src/services/incomingFiles');
  const { FileCache, IncomingFileDownloads } = await import('../../src/services/fileCache');
  const { IncomingFilesTreeProvider, IncomingFilesView } = await import('../../src/views/incomingFilesTree');
  const { parseServerAddress } = await import('../../src/trueconf/endpoints');
  const { nullLogger } = await import('../../src/common/logger');

  const now = Date.now();
  const files = makeFiles(now);

  // ---- the pure index
  let started = performance.now();
  const index = new IncomingFileIndex<FileRecord>();
  index.upsert(files);
  let listed = 0;
  for (const chatId of index.chats()) {
    listed += index.filesOf(chatId).length;
  }
  const indexMs = performance.now() - started;
  if (listed !== FILES) {
    throw new Error(`index lists ${listed} files`);
  }

  // ---- the stored list the model restores at start-up
  const account = `${SERVER}|${ME}`;
  const chats: Record<string, { title: string; chatType: number }> = {};
  const senders: Record<string, string> = {};
  for (const f of files) {
    chats[f.chatId] = { title: f.chatTitle, chatType: f.chatType };
    senders[f.authorId.split('/')[0].toLowerCase()] = `User ${f.authorId.slice(4, 6)}`;
  }
  const memento = new stub.MemoryMemento({
    'trueconf.incomingFiles.account': account,
    [`trueconf.incomingFiles/${account}`]: { version: 1, files, unread: [], removed: [], clearedBefore: 0, chats, senders, synced: true },
  });

  // ---- a signed-in client with no server behind it: notifications are pushed by hand, requests never answer
  const notificationListeners = new Map<string, Set<(payload: unknown, frame: unknown) => void>>();
  const client = {
    state: { kind: 'connected', userId: ME },
    userId: ME,
    endpoints: parseServerAddress(SERVER),
    http: {},
    onDidChangeState: () => new stub.Disposable(() => undefined),
    onDidAuthenticate: () => new stub.Disposable(() => undefined),
    onDidChangeToken: () => new stub.Disposable(() => undefined),
    onNotification(method: string, listener: (payload: unknown, frame: unknown) => void) {
      const set = notificationListeners.get(method) ?? new Set();
      notificationListeners.set(method, set);
      set.add(listener);
      return new stub.Disposable(() => set.delete(listener));
    },
    request: () => new Promise(() => undefined),
  };
  const connection = { state: client.state, client, onDidChangeState: () => new stub.Disposable(() => undefined) };
  const cacheDir = mkdtempSync(join(tmpdir(), 'trueconf-bench-cache-'));

  try {
    // ---- build
    const buildStart = performance.now();
    const model = new IncomingFilesService(memento as never, connection as never, nullLogger);
    const downloads = new IncomingFileDownloads(new FileCache(cacheDir, nullLogger), model);
    const provider = new IncomingFilesTreeProvider(model, downloads, undefined, nullLogger);
    const view = new IncomingFilesView(provider, model);
    const modelDone = performance.now();
    const tree = provider as unknown as TreeLike;
    const roots = tree.getChildren();
    let fileNodes = 0;
    for (const chat of roots) {
      tree.getTreeItem(chat);
      for (const file of tree.getChildren(chat)) {
        tree.getTreeItem(file);
        fileNodes++;
      }
    }
    const built = performance.now();
    if (roots.length !== CHATS || fileNodes !== FILES) {
      throw new Error(`the tree shows ${roots.length} chats and ${fileNodes} files`);
    }

    // ---- updates
    let pendingTree: Array<unknown[] | undefined> = [];
    let pendingDecorations: unknown[] = [];
    provider.onDidChangeTreeData((e) => pendingTree.push(e === undefined ? undefined : Array.isArray(e) ? e : [e]));
    decorationProvider?.onDidChangeFileDecorations?.((e: unknown) => pendingDecorations.push(e));
    let asked = { items: 0, childLists: 0, decorations: 0 };
    const answerVsCode = (expanded: (chat: unknown) => boolean): void => {
      for (const change of pendingTree) {
        const nodes = change ?? tree.getChildren();
        if (!change) {
          asked.childLists++;
        }
        for (const node of nodes) {
          const item = tree.getTreeItem(node);
          asked.items++;
          if (item.collapsibleState !== stub.TreeItemCollapsibleState.None && expanded(node)) {
            asked.childLists++;
            for (const child of tree.getChildren(node)) {
              tree.getTreeItem(child);
              asked.items++;
            }
          }
        }
      }
      for (const e of pendingDecorations) {
        const uris = e === undefined ? [] : Array.isArray(e) ? e : [e];
        for (const uri of uris) {
          decorationProvider?.provideFileDecoration(uri);
          asked.decorations++;
        }
      }
      pendingTree = [];
      pendingDecorations = [];
    };
    let serial = 0;
    const push = (chatId: string): void => {
      serial++;
      const envelope = {
        messageId: `new-msg-${serial}`,
        chatId,
        timestamp: now + serial * 1000,
        author: { id: 'bob@trueconf.test/inst', type: 1 },
        box: { id: FILES + serial, position: '0' },
        type: 202,
        isEdited: false,
        replyMessageId: null,
        content: { fileId: `new-file-${serial}`, name: `new-${serial}.log`, size: 4096, mimeType: 'text/plain', readyState: 2 },
      };
      for (const listener of notificationListeners.get('sendMessage') ?? []) {
        listener(envelope, { type: 1, id: serial, method: 'sendMessage', payload: envelope });
      }
    };
    // VS Code expands a chat item whose collapsibleState says Expanded (the provider does that for chats with unread files).
    const expandedByItem = (chat: unknown): boolean => tree.getTreeItem(chat).collapsibleState === stub.TreeItemCollapsibleState.Expanded;
    const oldestChat = () => model.chats()[model.chats().length - 1];
    const scenarios: Array<{ name: string; target: () => string; expanded: (chat: unknown) => boolean }> = [
      { name: 'into the top chat, all chats expanded', target: () => model.chats()[0], expanded: () => true },
      { name: 'into another chat (it moves to the top), chats expanded only when they have unread files', target: oldestChat, expanded: expandedByItem },
      { name: 'into another chat (it moves to the top), all 200 chats expanded', target: oldestChat, expanded: () => true },
    ];
    const updates: TreeResult['updates'] = {};
    for (const scenario of scenarios) {
      const times: number[] = [];
      asked = { items: 0, childLists: 0, decorations: 0 };
      for (let i = 0; i < ARRIVALS; i++) {
        const chatId = scenario.target();
        const t0 = performance.now();
        push(chatId);
        answerVsCode(scenario.expanded);
        times.push(performance.now() - t0);
      }
      updates[scenario.name] = {
        medianMs: median(times),
        firstMs: times[0],
        maxMs: Math.max(...times),
        asked: `per arrival: ${Math.round(asked.items / ARRIVALS)} tree items, ${Math.round(asked.childLists / ARRIVALS)} child lists, ${Math.round(asked.decorations / ARRIVALS)} decorations`,
      };
    }

    // ---- the deferred write of the list to globalState that follows every change (1 s later)
    started = performance.now();
    (model as unknown as { flush(): void }).flush();
    const persistMs = performance.now() - started;

    view.dispose();
    provider.dispose();
    model.dispose();
    return {
      indexMs,
      buildMs: built - buildStart,
      modelMs: modelDone - buildStart,
      materialiseMs: built - modelDone,
      nodes: { chats: roots.length, files: fileNodes },
      updates,
      persistMs,
      fallbacks: [...stub.fallbacks],
    };
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

childMain(main);
