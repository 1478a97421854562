/** An RpcChannel that answers from a table: for the answers a real server (or the fake one) would not give. */
import { Emitter } from '../../../src/common/event';
import { toDisposable } from '../../../src/common/lifecycle';
import type { RpcChannel } from '../../../src/trueconf/channel';

export interface StubChannel extends RpcChannel {
  calls: Array<{ method: string; payload: unknown }>;
}

export function stubChannel(answers: Record<string, (payload: unknown) => unknown>): StubChannel {
  const calls: StubChannel['calls'] = [];
  return {
    calls,
    request: async <T>(method: string, payload?: unknown) => {
      calls.push({ method, payload });
      const answer = answers[method];
      if (!answer) {
        throw new Error(`stubChannel: no answer for ${method}`);
      }
      return answer(payload) as T;
    },
    onNotification: () => toDisposable(() => undefined),
    onDidAuthenticate: new Emitter<{ userId: string; reconnected: boolean }>().event,
  };
}
