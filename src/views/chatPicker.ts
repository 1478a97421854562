/**
 * The questions of "send to a chat": which chat (a QuickPick over every chat of the account,
 * recently used ones first, with "Send to a TrueConf ID…" for someone you have no chat with yet)
 * and an optional caption (an InputBox that counts against TrueConf's 4096-character limit).
 */
import * as vscode from 'vscode';
import { DisposableStore } from '../common/lifecycle';
import { formatRelativeTime } from '../common/relativeTime';
import { ChatSummary, completeTrueConfId, isValidTrueConfId, orderChats } from '../common/sendNaming';
import { ChatDirectory, ChatTarget } from '../services/chatDirectory';
import type { SendPrompts } from '../services/send';
import { visibleLength } from '../trueconf/text-length';
import { ChatType, MAX_TEXT_LENGTH } from '../trueconf/types';

interface ChatItem extends vscode.QuickPickItem {
  readonly target?: ChatTarget;
  readonly enterId?: true;
}

const ICONS: Readonly<Record<number, string>> = {
  [ChatType.P2P]: 'person',
  [ChatType.Group]: 'organization',
  [ChatType.Channel]: 'broadcast',
  [ChatType.Favorites]: 'star-full',
};

export class ChatPicker implements SendPrompts {
  constructor(private readonly directory: ChatDirectory) {}

  async pickChat(options: { title: string }): Promise<ChatTarget | undefined> {
    for (;;) {
      const picked = await this.showChats(options.title);
      if (picked !== 'enterId') {
        return picked;
      }
      const chat = await this.askTrueConfId(options.title);
      if (chat !== 'back') {
        return chat;
      }
    }
  }

  askCaption(options: { title: string; value?: string }): Promise<string | undefined> {
    const store = new DisposableStore();
    const box = store.add(vscode.window.createInputBox());
    box.title = options.title;
    box.value = options.value ?? '';
    box.placeholder = vscode.l10n.t('Caption (optional)');
    box.prompt = vscode.l10n.t('A message that goes to the chat with the file. Leave it empty to send the file alone.');
    const validate = () => {
      const over = visibleLength(box.value, 'text') - MAX_TEXT_LENGTH;
      box.validationMessage = over > 0 ? vscode.l10n.t('{0} characters over the limit', over) : undefined;
      return over <= 0;
    };
    validate();
    return new Promise<string | undefined>((resolve) => {
      let result: string | undefined;
      store.add(box.onDidChangeValue(validate));
      store.add(
        box.onDidAccept(() => {
          if (validate()) {
            result = box.value;
            box.hide();
          }
        }),
      );
      store.add(
        box.onDidHide(() => {
          store.dispose();
          resolve(result);
        }),
      );
      box.show();
    });
  }

  /** The chat list; 'enterId' when the user chose "Send to a TrueConf ID…". */
  private showChats(title: string): Promise<ChatTarget | 'enterId' | undefined> {
    const store = new DisposableStore();
    const pick = store.add(vscode.window.createQuickPick<ChatItem>());
    pick.title = title;
    pick.placeholder = vscode.l10n.t('Type to filter chats by name');
    pick.matchOnDescription = false;
    pick.matchOnDetail = false;
    let loadError: string | undefined;

    const render = () => {
      const activeId = pick.activeItems[0]?.target?.chatId;
      const items = this.items(loadError);
      pick.items = items;
      pick.busy = this.directory.isLoading;
      // Keep the user's place across a refresh; at first, the chat used last.
      const wanted = activeId ?? this.directory.lastUsed?.chatId;
      const active = items.find((i) => i.target?.chatId === wanted);
      if (active) {
        pick.activeItems = [active];
      }
    };
    store.add(this.directory.onDidChange(render));
    render();
    this.directory.refresh({ ifOlderThan: 5_000 }).catch((err: unknown) => {
      if (!this.directory.chats) {
        loadError = vscode.l10n.t('Could not load your chats: {0}', err instanceof Error ? err.message : String(err));
        render();
      }
    });

    return new Promise((resolve) => {
      let result: ChatTarget | 'enterId' | undefined;
      store.add(
        pick.onDidAccept(() => {
          const item = pick.selectedItems[0] ?? pick.activeItems[0];
          if (!item?.target && !item?.enterId) {
            return;
          }
          result = item.enterId ? 'enterId' : item.target;
          pick.hide();
        }),
      );
      store.add(
        pick.onDidHide(() => {
          store.dispose();
          resolve(result);
        }),
      );
      pick.show();
    });
  }

  private items(loadError: string | undefined): ChatItem[] {
    const chats = this.directory.summaries();
    const { recent, others } = orderChats(chats, this.directory.recent(), this.directory.chats !== undefined);
    const now = Date.now();
    const items: ChatItem[] = [];
    if (recent.length > 0) {
      items.push({ label: vscode.l10n.t('recently used'), kind: vscode.QuickPickItemKind.Separator });
      items.push(...recent.map((c) => chatItem(c, now)));
    }
    if (others.length > 0) {
      items.push({ label: vscode.l10n.t('all chats'), kind: vscode.QuickPickItemKind.Separator });
      items.push(...others.map((c) => chatItem(c, now)));
    }
    items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
    if (loadError) {
      items.push({ label: loadError, iconPath: new vscode.ThemeIcon('warning'), alwaysShow: true });
    }
    items.push({
      label: vscode.l10n.t('Send to a TrueConf ID…'),
      description: vscode.l10n.t('login or login@server'),
      iconPath: new vscode.ThemeIcon('add'),
      alwaysShow: true,
      enterId: true,
    });
    return items;
  }

  /** Ask for a TrueConf ID and open the personal chat with it; 'back' returns to the chat list. */
  private askTrueConfId(title: string): Promise<ChatTarget | 'back' | undefined> {
    const store = new DisposableStore();
    const box = store.add(vscode.window.createInputBox());
    box.title = title;
    box.placeholder = vscode.l10n.t('TrueConf ID, for example ivan or ivan@video.example.com');
    box.prompt = vscode.l10n.t('Whom to send to: the personal chat with this user is opened, or created.');
    box.buttons = [vscode.QuickInputButtons.Back];
    const validate = (value: string) =>
      value.trim() === '' || isValidTrueConfId(value) ? undefined : vscode.l10n.t('Enter a TrueConf ID: login or login@server.');

    return new Promise((resolve) => {
      let result: ChatTarget | 'back' | undefined;
      const finish = (value: ChatTarget | 'back' | undefined) => {
        result = value;
        box.hide();
      };
      store.add(box.onDidChangeValue((value) => (box.validationMessage = validate(value))));
      store.add(box.onDidTriggerButton((button) => (button === vscode.QuickInputButtons.Back ? finish('back') : undefined)));
      store.add(
        box.onDidAccept(async () => {
          const value = box.value.trim();
          if (!value || validate(value)) {
            box.validationMessage = validate(value) ?? vscode.l10n.t('Enter a TrueConf ID: login or login@server.');
            return;
          }
          const userId = completeTrueConfId(value, this.directory.apis?.client.userId);
          box.busy = true;
          box.enabled = false;
          try {
            finish(await this.directory.openPersonalChat(userId));
          } catch (err) {
            box.validationMessage = vscode.l10n.t('Cannot open a chat with {0}: {1}', userId, err instanceof Error ? err.message : String(err));
          } finally {
            box.busy = false;
            box.enabled = true;
          }
        }),
      );
      store.add(
        box.onDidHide(() => {
          store.dispose();
          resolve(result);
        }),
      );
      box.show();
    });
  }
}

function chatItem(chat: ChatSummary, now: number): ChatItem {
  const title = chat.title ?? '';
  return {
    label: title,
    iconPath: new vscode.ThemeIcon(ICONS[chat.chatType] ?? 'comment'),
    description: chat.lastActivity !== undefined ? formatRelativeTime(chat.lastActivity, now, vscode.env.language) : undefined,
    target: { chatId: chat.chatId, title, chatType: chat.chatType },
  };
}
