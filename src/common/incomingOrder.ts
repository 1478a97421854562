/**
 * The order and identity of incoming chat files: one entry per file (keyed by fileId, or by
 * messageId when a message carries no fileId), files newest first within a chat, chats ordered
 * by their newest file. Live notifications and history pages arrive in any order and overlap;
 * merging them here gives the same list whatever the order was.
 *
 * The index is incremental so a view over 10,000 files in 200 chats stays cheap: adding a file
 * is a binary search plus one splice in its chat, and it reports whether the chat order changed
 * so the view can refresh one chat instead of everything.
 */

/** What the index needs to know about a file message. */
export interface OrderedFile {
  readonly chatId: string;
  readonly messageId: string;
  readonly fileId: string;
  readonly timestamp: number;
}

/** The identity of a file in the list: its fileId, or its messageId when the server gave no fileId. */
export function incomingFileKey(file: { readonly fileId?: string; readonly messageId: string }): string {
  return file.fileId ? `f:${file.fileId}` : `m:${file.messageId}`;
}

/** Newest first; equal timestamps fall back to the ids so the order never depends on arrival. */
export function compareNewestFirst(a: OrderedFile, b: OrderedFile): number {
  if (a.timestamp !== b.timestamp) {
    return b.timestamp - a.timestamp;
  }
  if (a.messageId !== b.messageId) {
    return a.messageId < b.messageId ? 1 : -1;
  }
  return a.fileId < b.fileId ? 1 : a.fileId > b.fileId ? -1 : 0;
}

/** File readiness as the server reports it (FileReadyState): 0 gone, 1 uploading, 2 ready. */
const READY = 2;
const UPLOADING = 1;

/**
 * What is known about one file after seeing it twice (a live notification and a history page, or
 * two history pages). Later observations win, except that a file never goes back from ready to
 * uploading: history pages can carry the readyState the message had when it was sent.
 */
export function mergeObservation<T extends OrderedFile & { readonly readyState?: number }>(known: T, seen: T): T {
  const merged: T = { ...known, ...definedFields(seen) };
  if (known.readyState === READY && seen.readyState === UPLOADING) {
    (merged as { readyState?: number }).readyState = READY;
  }
  return shallowEqual(known, merged) ? known : merged;
}

/** The result of adding, changing or removing entries. */
export interface IndexChange {
  /** Chats whose list of files changed: a file was added, removed, or moved within or between chats. */
  readonly chats: ReadonlySet<string>;
  /** The set or the order of chats changed: the whole list has to be redrawn. */
  readonly orderChanged: boolean;
}

export class IncomingFileIndex<T extends OrderedFile> {
  private readonly byKey = new Map<string, T>();
  /** Files of each chat, newest first. */
  private readonly byChat = new Map<string, T[]>();
  /** Chat ids ordered by their newest file; recomputed lazily after a change that can move a chat. */
  private chatOrder: string[] | undefined;

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): T | undefined {
    return this.byKey.get(key);
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /** Every file, in no particular order. */
  values(): IterableIterator<T> {
    return this.byKey.values();
  }

  /** Files of one chat, newest first (empty for an unknown chat). Do not modify. */
  filesOf(chatId: string): readonly T[] {
    return this.byChat.get(chatId) ?? [];
  }

  /** Chats that have files, the chat with the newest file first. */
  chats(): readonly string[] {
    if (!this.chatOrder) {
      const heads = [...this.byChat.values()].map((files) => files[0]);
      heads.sort(compareNewestFirst);
      this.chatOrder = heads.map((f) => f.chatId);
    }
    return this.chatOrder;
  }

  /**
   * Add files or replace the entries with the same key. `merge` decides what a file seen again
   * becomes (default: the new observation); returning the known object means "unchanged".
   */
  upsert(files: Iterable<T>, merge: (known: T, seen: T) => T = (_known, seen) => seen): IndexChange & { added: T[]; updated: T[] } {
    const chats = new Set<string>();
    const added: T[] = [];
    /** Entries replaced where they were: same chat, same place in it. */
    const updated: T[] = [];
    let orderChanged = false;
    for (const seen of files) {
      const key = incomingFileKey(seen);
      const known = this.byKey.get(key);
      const next = known ? merge(known, seen) : seen;
      if (next === known) {
        continue;
      }
      this.byKey.set(key, next);
      if (known && known.chatId === next.chatId && compareNewestFirst(known, next) === 0 && this.replaceInChat(known, next)) {
        updated.push(next);
        continue;
      }
      if (known) {
        orderChanged = this.removeFromChat(known) || orderChanged;
        chats.add(known.chatId);
      } else {
        added.push(next);
      }
      orderChanged = this.insertIntoChat(next) || orderChanged;
      chats.add(next.chatId);
    }
    return { chats, orderChanged, added, updated };
  }

  /** Remove entries by key; unknown keys are ignored. */
  remove(keys: Iterable<string>): IndexChange & { removed: T[] } {
    const chats = new Set<string>();
    const removed: T[] = [];
    let orderChanged = false;
    for (const key of keys) {
      const known = this.byKey.get(key);
      if (!known) {
        continue;
      }
      this.byKey.delete(key);
      orderChanged = this.removeFromChat(known) || orderChanged;
      chats.add(known.chatId);
      removed.push(known);
    }
    return { chats, orderChanged, removed };
  }

  /** Keep the newest `max` files; returns what was dropped. */
  trim(max: number): IndexChange & { removed: T[] } {
    if (this.byKey.size <= max) {
      return { chats: new Set(), orderChanged: false, removed: [] };
    }
    const all = [...this.byKey.values()].sort(compareNewestFirst);
    return this.remove(all.slice(Math.max(0, max)).map(incomingFileKey));
  }

  clear(): void {
    this.byKey.clear();
    this.byChat.clear();
    this.chatOrder = undefined;
  }

  private replaceInChat(known: T, next: T): boolean {
    const list = this.byChat.get(known.chatId);
    const at = list ? list.indexOf(known) : -1;
    if (!list || at < 0) {
      return false;
    }
    list[at] = next;
    return true;
  }

  /** Insert keeping newest first; true when the chat order may have changed. */
  private insertIntoChat(file: T): boolean {
    let list = this.byChat.get(file.chatId);
    if (!list) {
      list = [];
      this.byChat.set(file.chatId, list);
    }
    const at = insertionPoint(list, file);
    list.splice(at, 0, file);
    if (list.length === 1) {
      this.chatOrder = undefined;
      return true;
    }
    return at === 0 && this.headMoved(file.chatId);
  }

  /** Remove from its chat; true when the chat order may have changed. */
  private removeFromChat(file: T): boolean {
    const list = this.byChat.get(file.chatId);
    if (!list) {
      return false;
    }
    const at = list.indexOf(file);
    if (at < 0) {
      return false;
    }
    list.splice(at, 1);
    if (list.length === 0) {
      this.byChat.delete(file.chatId);
      this.chatOrder = undefined;
      return true;
    }
    return at === 0 && this.headMoved(file.chatId);
  }

  /** The newest file of `chatId` changed: keep the cached chat order if the chat still sits between its neighbours. */
  private headMoved(chatId: string): boolean {
    const order = this.chatOrder;
    if (!order) {
      return true;
    }
    const at = order.indexOf(chatId);
    const head = this.byChat.get(chatId)?.[0];
    const before = at > 0 ? this.byChat.get(order[at - 1])?.[0] : undefined;
    const after = at >= 0 && at < order.length - 1 ? this.byChat.get(order[at + 1])?.[0] : undefined;
    const fits = at >= 0 && head !== undefined && (!before || compareNewestFirst(before, head) < 0) && (!after || compareNewestFirst(head, after) < 0);
    if (!fits) {
      this.chatOrder = undefined;
    }
    return !fits;
  }
}

function insertionPoint<T extends OrderedFile>(list: readonly T[], file: T): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareNewestFirst(list[mid], file) <= 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

function definedFields<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v !== undefined) {
      (out as Record<string, unknown>)[k] = v;
    }
  }
  return out;
}

function shallowEqual(a: object, b: object): boolean {
  const ak = Object.keys(a);
  const bk = Object.keys(b);
  if (ak.length !== bk.length) {
    return false;
  }
  return ak.every((k) => Object.is((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
