/**
 * Deterministic generator of WebSocket frames a misbehaving server might send: random JSON values,
 * truncated and garbled JSON, requests and responses with odd ids, methods and payloads, huge
 * numbers, deep nesting, bytes that are not UTF-8, binary frames. Same seed, same frames.
 *
 * `expectation()` says what the client must do with a frame (the oracle): decode it as UTF-8 and
 * parse it the way any JSON reader would, then classify it by the protocol's rules (protocol.md §3).
 */

/** mulberry32: a tiny seeded PRNG, good enough to pick cases. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FuzzFrame {
  data: string | Buffer;
  binary: boolean;
  kind: string;
}

export type Expectation =
  | { kind: 'notJson' }
  | { kind: 'notObject' }
  | { kind: 'unknownType' }
  | { kind: 'requestWithoutId' }
  /** Acked; dispatched only when `method` is a string. */
  | { kind: 'request'; id: number; dispatched: boolean }
  | { kind: 'response'; id: unknown };

const MAX_UINT32 = 0xffff_ffff;

/** What the client should make of a frame: the same decoding and rules, written independently. */
export function expectation(frame: FuzzFrame): Expectation {
  const text = typeof frame.data === 'string' ? frame.data : frame.data.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'notJson' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'notObject' };
  }
  const obj = value as Record<string, unknown>;
  if (obj.type === 1) {
    const id = obj.id;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > MAX_UINT32) {
      return { kind: 'requestWithoutId' };
    }
    return { kind: 'request', id: id === 0 ? 0 : id, dispatched: typeof obj.method === 'string' };
  }
  if (obj.type === 2) {
    return { kind: 'response', id: obj.id };
  }
  return { kind: 'unknownType' };
}

const METHODS = [
  'sendMessage',
  'uploadFileProgress',
  'uploadingProgress',
  'getFileUploadLimits',
  'editMessage',
  'removeMessage',
  'removeChat',
  'createP2PChat',
  'auth',
  'getFileInfo',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '',
  ' ',
  'sendMessage\u0000',
  'метод',
  '💥',
];

const STRING_PIECES = ['a', 'Z', ' ', '"', '\\', '/', '\n', '\u0000', '\u001f', 'é', 'я', '€', '😀', '\ud800', '\udfff', '\u2028', '<b>', '{', '}', '[', ']', ',', ':', 'eyJ', '.', 'token=', 'http://x/?token=1'];

/** Frames for one storm. `inflight()` lists ids of the client's requests the server has not answered yet. */
export class FrameFuzzer {
  private readonly rnd: () => number;

  constructor(
    seed: number,
    private readonly inflight: () => number[],
    private readonly onAnswered: (id: number) => void = () => undefined,
  ) {
    this.rnd = seededRandom(seed);
  }

  next(): FuzzFrame {
    const roll = this.rnd() * 100;
    if (roll < 10) {
      return this.text('json-value', JSON.stringify(this.value(4)) ?? 'undefined');
    }
    if (roll < 20) {
      const full = JSON.stringify(this.rnd() < 0.5 ? this.request() : this.response());
      return this.text('truncated', full.slice(0, this.int(full.length)));
    }
    if (roll < 28) {
      return this.text('garbled', this.garble(JSON.stringify(this.rnd() < 0.5 ? this.request() : this.response())));
    }
    if (roll < 53) {
      return this.text('request', JSON.stringify(this.request()));
    }
    if (roll < 73) {
      return this.text('response', JSON.stringify(this.response()));
    }
    if (roll < 79) {
      return this.text('unknown-type', JSON.stringify({ type: this.pick([0, 3, 'x', null, true, -1, 2.5, '1', '2', [1], {}]), id: this.id(), method: this.method(), payload: this.value(2) }));
    }
    if (roll < 84) {
      return this.text('huge-number', this.hugeNumbers());
    }
    if (roll < 87) {
      return this.text('deep', this.deep());
    }
    if (roll < 92) {
      return { kind: 'binary-garbage', binary: true, data: this.bytes(1 + this.int(300)) };
    }
    if (roll < 95) {
      return { kind: 'binary-request', binary: true, data: Buffer.from(JSON.stringify(this.request())) };
    }
    if (roll < 99) {
      return { kind: 'not-utf8', binary: true, data: this.notUtf8() };
    }
    return this.text('big', JSON.stringify({ type: 1, id: this.int(MAX_UINT32 + 1), method: this.method(), payload: { text: this.string(20_000 + this.int(80_000)) } }));
  }

  private text(kind: string, data: string): FuzzFrame {
    return { kind, binary: false, data };
  }

  private request(): Record<string, unknown> {
    const frame: Record<string, unknown> = { type: 1, id: this.id() };
    if (this.rnd() < 0.9) {
      frame.method = this.rnd() < 0.85 ? this.method() : this.value(1);
    }
    if (this.rnd() < 0.9) {
      frame.payload = this.rnd() < 0.5 ? this.plausiblePayload() : this.value(3);
    }
    return frame;
  }

  private response(): Record<string, unknown> {
    const waiting = this.inflight();
    let id: unknown;
    if (waiting.length > 0 && this.rnd() < 0.35) {
      id = waiting[this.int(waiting.length)];
      this.onAnswered(id as number);
    } else {
      id = this.id();
    }
    const frame: Record<string, unknown> = { type: 2, id };
    if (this.rnd() < 0.85) {
      frame.payload = this.rnd() < 0.6 ? this.errorPayload() : this.value(3);
    }
    return frame;
  }

  private errorPayload(): Record<string, unknown> {
    const payload: Record<string, unknown> = { errorCode: this.pick([0, 0, '0', 304, '304', 203, 201, 311, 310, -1, 2.5, null, 'abc', true, [], {}, 1e300]) };
    if (this.rnd() < 0.7) {
      payload.errorDescription = this.rnd() < 0.7 ? this.string(this.int(80)) : this.value(2);
    }
    if (this.rnd() < 0.3) {
      payload.extra = this.value(2);
    }
    return payload;
  }

  /** Shapes the client's listeners look at, with fields of random types. */
  private plausiblePayload(): Record<string, unknown> {
    const field = () => (this.rnd() < 0.6 ? this.pick([this.string(10), 'f1', 0, 12, -3, 1e308, null]) : this.value(2));
    switch (this.int(4)) {
      case 0:
        return { fileId: field(), progress: field() };
      case 1:
        return { maxSize: field(), extensions: this.rnd() < 0.5 ? { mode: this.pick(['allow', 'block', 'x', 1]), list: this.value(2) } : field() };
      case 2:
        return {
          messageId: field(),
          chatId: field(),
          timestamp: field(),
          author: this.rnd() < 0.7 ? { id: field(), type: field() } : field(),
          type: this.pick([202, 2, 200, 201, 1, 0, '202', null]),
          content: this.rnd() < 0.5 ? { fileId: field(), name: field(), size: field(), mimeType: field(), readyState: this.pick([0, 1, 2, 3, '2', null]) } : field(),
        };
      default:
        return { chatId: field(), title: field(), userId: field() };
    }
  }

  private id(): unknown {
    const roll = this.rnd();
    if (roll < 0.6) {
      return this.int(MAX_UINT32 + 1);
    }
    if (roll < 0.75) {
      return this.int(1000);
    }
    return this.pick([0, MAX_UINT32, MAX_UINT32 + 1, -1, 1.5, 2 ** 53, Number.MAX_SAFE_INTEGER + 2, '7', null, true, [1], { id: 1 }, -0]);
  }

  private method(): string {
    return this.rnd() < 0.7 ? this.pick(METHODS) : this.string(1 + this.int(30));
  }

  /** Numbers JSON.stringify never writes: overflow, precision loss, exponents, negative zero. */
  private hugeNumbers(): string {
    const id = this.pick(['1e999', '-1e999', '4294967296', '4294967295', '123456789012345678901234567890', '-0', '0.5e1', '5.0', '1E1', '0e0', '4294967295.0000001', '1e-400']);
    const type = this.pick(['1', '1.0', '2', '1e0', '10e-1']);
    return `{"type":${type},"id":${id},"method":"${this.pick(METHODS.slice(0, 9))}","payload":{"progress":${this.pick(['1e999', '9'.repeat(400), '-1e-999'])}}}`;
  }

  private deep(): string {
    const depth = this.pick([50, 1000, 10_000, 100_000]);
    const open = this.rnd() < 0.5 ? '['.repeat(depth) : '{"a":'.repeat(depth);
    const close = open.startsWith('[') ? ']'.repeat(depth) : '}'.repeat(depth);
    const nested = `${open}1${close}`;
    return this.rnd() < 0.5 ? nested : `{"type":1,"id":${this.int(MAX_UINT32 + 1)},"method":"${this.pick(METHODS.slice(0, 4))}","payload":${nested}}`;
  }

  /** A JSON frame with bytes that are not UTF-8 inside a string (sent as binary; decodes with U+FFFD). */
  private notUtf8(): Buffer {
    const head = Buffer.from(`{"type":1,"id":${this.int(MAX_UINT32 + 1)},"method":"${this.pick(METHODS.slice(0, 4))}","payload":{"text":"`);
    const bad = Buffer.from(this.pick([[0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80, 0x80], [0xc0, 0xaf]]));
    const tail = Buffer.from(this.rnd() < 0.8 ? '"}}' : '"');
    return Buffer.concat([head, bad, tail]);
  }

  private garble(text: string): string {
    const chars = [...text];
    const edits = 1 + this.int(4);
    for (let i = 0; i < edits; i++) {
      const at = this.int(chars.length + 1);
      const op = this.int(3);
      if (op === 0) {
        chars.splice(at, 1);
      } else if (op === 1) {
        chars.splice(at, 0, this.pick(['"', '{', '}', ',', ':', '\\', 'x', '\u0000']));
      } else {
        chars[at] = this.pick(['"', '{', '}', ',', ':', '\\', '0']);
      }
    }
    return chars.join('');
  }

  private value(depth: number): unknown {
    const roll = this.int(depth > 0 ? 10 : 7);
    switch (roll) {
      case 0:
        return null;
      case 1:
        return this.rnd() < 0.5;
      case 2:
        return this.int(1000) - 500;
      case 3:
        return this.pick([1e308, -1e308, 5e-324, 0.1, 2 ** 53 + 1, MAX_UINT32, -0, 1.5]);
      case 4:
      case 5:
        return this.string(this.int(40));
      case 6:
        return this.pick(['', 'type', 'id', 'method', 'payload', '__proto__']);
      case 7:
      case 8: {
        const obj: Record<string, unknown> = {};
        const n = this.int(5);
        for (let i = 0; i < n; i++) {
          obj[this.pick(['type', 'id', 'method', 'payload', 'errorCode', 'fileId', 'content', '__proto__', this.string(6)])] = this.value(depth - 1);
        }
        return obj;
      }
      default:
        return Array.from({ length: this.int(5) }, () => this.value(depth - 1));
    }
  }

  private string(length: number): string {
    let out = '';
    while (out.length < length) {
      out += this.rnd() < 0.8 ? String.fromCharCode(32 + this.int(95)) : this.pick(STRING_PIECES);
    }
    return out;
  }

  private bytes(length: number): Buffer {
    const buf = Buffer.alloc(length);
    for (let i = 0; i < length; i++) {
      buf[i] = this.int(256);
    }
    return buf;
  }

  private int(below: number): number {
    return Math.floor(this.rnd() * below);
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}
