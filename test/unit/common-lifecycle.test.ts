import * as assert from 'node:assert/strict';
import { Disposable, DisposableStore, toDisposable } from '../../src/common/lifecycle';
import { Emitter, once } from '../../src/common/event';

describe('common/lifecycle', () => {
  it('disposes everything it owns once, newest first', () => {
    const order: string[] = [];
    const store = new DisposableStore();
    store.add(toDisposable(() => order.push('a')));
    store.add(toDisposable(() => order.push('b')));
    store.dispose();
    store.dispose();
    assert.deepEqual(order, ['b', 'a']);
  });

  it('disposes at once what is added after disposal', () => {
    const store = new DisposableStore();
    store.dispose();
    let disposed = false;
    store.add(toDisposable(() => (disposed = true)));
    assert.equal(disposed, true);
  });

  it('keeps disposing the rest when one item throws, then reports the error', () => {
    const store = new DisposableStore();
    let second = false;
    store.add(toDisposable(() => (second = true)));
    store.add(toDisposable(() => {
      throw new Error('boom');
    }));
    assert.throws(() => store.dispose(), /boom/);
    assert.equal(second, true);
  });

  it('lets a Disposable subclass own what it registers', () => {
    let released = 0;
    class Owner extends Disposable {
      constructor() {
        super();
        this._register(toDisposable(() => released++));
        this._register(toDisposable(() => released++));
      }
    }
    new Owner().dispose();
    assert.equal(released, 2);
  });
});

describe('common/event', () => {
  it('delivers to every listener even when one throws', () => {
    const errors: unknown[] = [];
    const emitter = new Emitter<number>((e) => errors.push(e));
    const seen: number[] = [];
    emitter.event(() => {
      throw new Error('listener failed');
    });
    emitter.event((n) => seen.push(n));
    emitter.fire(7);
    assert.deepEqual(seen, [7]);
    assert.equal(errors.length, 1);
  });

  it('removes a listener when its subscription is disposed', () => {
    const emitter = new Emitter<string>();
    const sub = emitter.event(() => undefined);
    assert.equal(emitter.listenerCount, 1);
    sub.dispose();
    assert.equal(emitter.listenerCount, 0);
  });

  it('once() resolves with the first matching event and unsubscribes', async () => {
    const emitter = new Emitter<number>();
    const p = once(emitter.event, (n) => n > 1);
    emitter.fire(1);
    emitter.fire(2);
    emitter.fire(3);
    assert.equal(await p, 2);
    assert.equal(emitter.listenerCount, 0);
  });

  it('once() rejects and unsubscribes when its signal aborts', async () => {
    const emitter = new Emitter<number>();
    const controller = new AbortController();
    const p = once(emitter.event, () => true, controller.signal);
    controller.abort(new Error('stop'));
    await assert.rejects(p, /stop/);
    assert.equal(emitter.listenerCount, 0);
  });
});
