import { lang } from './i18n.js'

/** Strings of the notification features (push, sighting view, advisories), Japanese first. */
const STRINGS: Record<string, { ja: string, en: string }> = {
  'push.offer': { ja: 'サル出没をこの端末に通知しますか？', en: 'Get monkey sightings as notifications on this phone?' },
  'push.enable': { ja: '通知を受け取る', en: 'Turn on notifications' },
  'push.on': { ja: '通知はオンです', en: 'Notifications are on' },
  'push.denied': { ja: '通知がブロックされています。ブラウザの設定で許可してください。', en: 'Notifications are blocked; allow them in the browser settings.' },
  'push.unsupported': { ja: 'このブラウザは通知に対応していません。ホーム画面に追加してから開いてください。', en: 'This browser cannot receive notifications; add the page to the home screen and open it from there.' },
  'push.failed': { ja: '通知の登録に失敗しました: {msg}', en: 'Could not register for notifications: {msg}' },
  'sighting.title': { ja: 'サル出没: {name}', en: 'Monkeys at {name}' },
  'sighting.confidence': { ja: '信頼度 {c}', en: 'confidence {c}' },
  'sighting.frames': { ja: '{p}/{n} 枚で検出', en: 'seen in {p} of {n} frames' },
  'sighting.where': { ja: '現在地からの距離と方角', en: 'Distance and direction from here' },
  'sighting.distance': { ja: '{dir}へ {km}', en: '{km} to the {dir}' },
  'sighting.noLocation': { ja: '現在地を取得できません', en: 'Location unavailable' },
  'sighting.enRoute': { ja: '向かいます', en: 'On my way' },
  'sighting.confirm': { ja: '確認 (サルでした)', en: 'Confirmed (monkeys)' },
  'sighting.reject': { ja: '誤報', en: 'False alarm' },
  'sighting.sentEnRoute': { ja: '「向かいます」を送りました', en: 'Sent “on my way”' },
  'sighting.sentConfirm': { ja: '「確認」を送りました', en: 'Sent “confirmed”' },
  'sighting.sentReject': { ja: '「誤報」を送りました', en: 'Sent “false alarm”' },
  'sighting.error': { ja: '送信できませんでした: {msg}', en: 'Could not send: {msg}' },
  'sighting.drill': { ja: '【訓練】', en: '[DRILL]' },
  'sighting.bestFrame': { ja: '最も確かな画像 ({name})', en: 'Best frame ({name})' },
  'conf.high': { ja: '高', en: 'high' },
  'conf.medium': { ja: '中', en: 'medium' },
  'conf.low': { ja: '低', en: 'low' }
}

const DIRS_JA = ['北', '北東', '東', '南東', '南', '南西', '西', '北西']
const DIRS_EN = ['north', 'north-east', 'east', 'south-east', 'south', 'south-west', 'west', 'north-west']

export function tn (key: string, vars: Record<string, string | number> = {}): string {
  const s = STRINGS[key]
  let text = s === undefined ? key : s[lang() === 'en' ? 'en' : 'ja']
  for (const [k, v] of Object.entries(vars)) text = text.replaceAll(`{${k}}`, String(v))
  return text
}

/** 8-point compass name of a bearing in degrees */
export function compass (bearingDeg: number): string {
  const i = Math.round((((bearingDeg % 360) + 360) % 360) / 45) % 8
  return (lang() === 'en' ? DIRS_EN : DIRS_JA)[i]!
}
