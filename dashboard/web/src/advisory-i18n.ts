import { pairMessages, pairText, type PairTable } from './pair-i18n.js'

const STRINGS: PairTable = {
  'adv.open': { ja: '避難情報を作成', en: 'Draft evacuation info' },
  'adv.title': { ja: '避難情報の作成（判断補助）', en: 'Evacuation information (decision support)' },
  'adv.updateTitle': { ja: '避難情報の更新', en: 'Update evacuation information' },
  'adv.note': { ja: 'システムは観測値から案を示すだけです。発令するかどうかは担当者が判断します。', en: 'The system only drafts from the measurements; a person decides whether to issue.' },
  'adv.level': { ja: '区分', en: 'Level' },
  'adv.l3': { ja: '高齢者等避難（警戒レベル3）', en: 'Elderly evacuate (Lv3)' },
  'adv.l4': { ja: '避難指示（警戒レベル4）', en: 'Evacuation order (Lv4)' },
  'adv.l5': { ja: '緊急安全確保（警戒レベル5）', en: 'Emergency safety (Lv5)' },
  'adv.area': { ja: '対象地区', en: 'Area' },
  'adv.text': { ja: '本文（編集できます）', en: 'Text (editable)' },
  'adv.next': { ja: '内容を確認', en: 'Review' },
  'adv.back': { ja: '戻る', en: 'Back' },
  'adv.cancel': { ja: 'やめる', en: 'Cancel' },
  'adv.issue': { ja: '発令する', en: 'Issue' },
  'adv.update': { ja: '更新を送る', en: 'Send update' },
  'adv.confirm': { ja: '{name} を「{area}」に発令します。公開チャンネル（LINE・Webhook 等）と CAP フィードに一度だけ送られます。よろしいですか？', en: 'Issue {name} for “{area}”. It goes once to every public channel (LINE, webhooks …) and the CAP feed. Continue?' },
  'adv.issuedAt': { ja: '{area}に{name}を発令しました（{at}）。', en: '{name} issued for {area} ({at}).' },
  'adv.updatedAt': { ja: '{area}の{name}を更新しました（{at}）。', en: '{name} for {area} updated ({at}).' },
  'adv.capEntry': { ja: 'CAP 電文を開く', en: 'Open the CAP message' },
  'adv.capFeed': { ja: 'CAP フィード', en: 'CAP feed' },
  'adv.close': { ja: '閉じる', en: 'Close' },
  'adv.basis': { ja: '観測値からの目安: 警戒レベル{level}（{at} 現在 {now}・{trend}）。最高水位ではなく現在の水位と傾向から選んでいます。', en: 'Measurements suggest Lv{level} ({now} at {at}, {trend}), from the current level and trend, not the peak.' },
  'adv.levelUnknown': { ja: '水位不明', en: 'level unknown' },
  'adv.failed': { ja: '送信できませんでした: {msg}', en: 'Could not send: {msg}' },
  'adv.drafting': { ja: '案を作成中…', en: 'Drafting…' },
  'adv.list': { ja: '発令中の避難情報', en: 'Evacuation information in force' },
  'adv.cancelIt': { ja: '解除', en: 'Cancel' },
  'adv.updateIt': { ja: '更新', en: 'Update' },
  'adv.cancelConfirmTitle': { ja: '避難情報の解除', en: 'Cancel evacuation information' },
  'adv.cancelConfirm': { ja: '「{area}」の {name} を解除します。公開チャンネルと CAP フィードに解除を送ります。', en: 'Cancel {name} for “{area}”. The cancellation goes to every public channel and the CAP feed.' },
  'adv.drill': { ja: '【訓練】', en: '[DRILL] ' },
  'resolve.title': { ja: '警報の解除', en: 'Resolve alert' },
  'resolve.message': { ja: '{what} を解除します。解除は通知先にも送られます。よろしいですか？', en: 'Resolve {what}? The resolution is also sent to the recipients.' },
  'resolve.group': { ja: '{what}（このイベントの {n} 件すべて）を解除します。解除は通知先にも送られます。よろしいですか？', en: 'Resolve {what} (all {n} alerts of this event)? The resolution is also sent to the recipients.' },
  'resolve.yes': { ja: '解除する', en: 'Resolve' },
  'resolve.no': { ja: 'やめる', en: 'Keep' },
  'group.highest': { ja: '最高 Lv{n}', en: 'highest Lv{n}' },
  'group.now': { ja: '現在 {level}', en: 'now {level}' },
  'group.more': { ja: '他 {n} 件', en: '+{n} more' },
  'trend.rising': { ja: '上昇中', en: 'rising' },
  'trend.steady': { ja: '横ばい', en: 'steady' },
  'trend.falling': { ja: '下降中', en: 'falling' },
  'trend.unknown': { ja: '傾向不明', en: 'trend unknown' },
  'status.title': { ja: '通知チャンネル', en: 'Notification channels' },
  'status.pending': { ja: '送信待ち {n}', en: '{n} waiting' },
  'status.failing': { ja: '失敗中', en: 'failing' }
}

export function tv2 (key: string, vars: Record<string, string | number> = {}): string {
  return pairText(STRINGS, key, vars)
}

/** every message of one language (the copy test reads them all) */
export function allAdvisoryMessages (l: 'ja' | 'en'): Readonly<Record<string, string>> {
  return pairMessages(STRINGS, l)
}
