import { lang } from './i18n.js'
import { pairMessages, pairText, type PairTable } from './pair-i18n.js'

/** Strings of the notification features (push, sighting view, advisories), Japanese first. */
const STRINGS: PairTable = {
  'push.offer': { ja: 'サル出没をこの端末に通知しますか？', en: 'Get monkey sightings as notifications on this phone?' },
  'push.enable': { ja: '通知を受け取る', en: 'Turn on notifications' },
  'push.on': { ja: '通知はオンです', en: 'Notifications are on' },
  'push.denied': { ja: '通知がブロックされています。ブラウザの設定で許可してください。', en: 'Notifications are blocked; allow them in the browser settings.' },
  'push.unsupported': { ja: 'このブラウザでは通知を受け取れません。iPhone・iPad では、Safari の共有メニューから「ホーム画面に追加」し、そのアイコンから開くと受け取れます。', en: 'This browser cannot receive notifications. On iPhone and iPad, use Safari’s Share menu → “Add to Home Screen” and open the page from that icon.' },
  'https.title': { ja: 'この接続は HTTPS ではありません', en: 'This connection is not HTTPS' },
  'https.effect': { ja: '暗号化されていない接続（http://）のため、この端末では出没の通知（プッシュ）もホーム画面への追加も使えません。このページを開いている間は、新しい出没が一覧に表示され、向かいます・サルでした・誤報も送れます。', en: 'Over an unencrypted connection (http://) this phone cannot receive sighting notifications (push) or add the page to the home screen. While this page is open, new sightings still appear in the list and you can still send On my way / Monkeys, yes / False alarm.' },
  'https.networkNote': { ja: 'このPCでは通知を使えますが、ダッシュボードは HTTP のままネットワークに公開されています。猟友会員の携帯では通知もホーム画面への追加も使えません。HTTPS を設定してください（docs/security.md）。', en: 'Notifications work on this computer, but the dashboard is served to the network over plain HTTP: hunters’ phones get no push and no home-screen app. Set up HTTPS (docs/security.md).' },
  'https.adminLead': { ja: '管理者の方へ:', en: 'For the administrator:' },
  'https.admin': { ja: '{origin} を https:// で開けるようにしてください。方法は二つです。① ダッシュボードに証明書を設定する: ', en: 'make {origin} reachable over https://, in one of two ways. (1) Give the dashboard a certificate: ' },
  'https.adminOr': { ja: '② 既存の HTTPS リバースプロキシ（nginx など）を前に置き、ダッシュボードはループバックで待ち受ける: ', en: ' (2) Put an HTTPS reverse proxy (nginx …) in front, the dashboard listening on loopback: ' },
  'https.adminEnd': { ja: '詳しくは docs/security.md の「TLS」「リバースプロキシの後ろで」を参照してください。', en: '. See docs/security.md, sections TLS and “Behind a reverse proxy”.' },
  'map.title': { ja: '出没地点の地図', en: 'Map of sightings' },
  'map.show': { ja: '地図', en: 'Map' },
  'map.hide': { ja: '地図を閉じる', en: 'Close map' },
  'map.none': { ja: '表示する出没はまだありません', en: 'No sightings to show yet' },
  'map.unavailable': { ja: '地図を読み込めませんでした。各出没の座標は一覧に表示されています。', en: 'The map could not load; each sighting lists its coordinates.' },
  'push.failed': { ja: '通知の登録に失敗しました: {msg}', en: 'Could not register for notifications: {msg}' },
  'sighting.title': { ja: 'サル出没: {name}', en: 'Monkeys at {name}' },
  'sighting.confidence': { ja: '信頼度 {c}', en: 'confidence {c}' },
  'sighting.frames': { ja: '{p}/{n} 枚で検出', en: 'seen in {p} of {n} frames' },
  'sighting.where': { ja: '現在地からの距離と方角', en: 'Distance and direction from here' },
  'sighting.distance': { ja: '{dir}へ {km}', en: '{km} to the {dir}' },
  'sighting.noLocation': { ja: '現在地を取得できません', en: 'Location unavailable' },
  'sighting.enRoute': { ja: '向かいます', en: 'On my way' },
  'sighting.confirm': { ja: 'サルでした', en: 'Monkeys, yes' },
  'sighting.reject': { ja: '誤報', en: 'False alarm' },
  'sighting.sentEnRoute': { ja: '「向かいます」を送りました', en: 'Sent “on my way”' },
  'sighting.sentConfirm': { ja: '「サルでした」を送りました', en: 'Sent “monkeys, yes”' },
  'sighting.sentReject': { ja: '「誤報」を送りました', en: 'Sent “false alarm”' },
  'sighting.error': { ja: '送信できませんでした: {msg}', en: 'Could not send: {msg}' },
  'sighting.drill': { ja: '【訓練】', en: '[DRILL]' },
  'sighting.bestFrame': { ja: '最も確かな画像（{name}）', en: 'Best frame ({name})' },
  'conf.high': { ja: '高', en: 'high' },
  'conf.medium': { ja: '中', en: 'medium' },
  'conf.low': { ja: '低', en: 'low' }
}

const DIRS_JA = ['北', '北東', '東', '南東', '南', '南西', '西', '北西']
const DIRS_EN = ['north', 'north-east', 'east', 'south-east', 'south', 'south-west', 'west', 'north-west']

export function tn (key: string, vars: Record<string, string | number> = {}): string {
  return pairText(STRINGS, key, vars)
}

/** 8-point compass name of a bearing in degrees */
export function compass (bearingDeg: number): string {
  const i = Math.round((((bearingDeg % 360) + 360) % 360) / 45) % 8
  return (lang() === 'en' ? DIRS_EN : DIRS_JA)[i]!
}

/** every message of one language (the copy test reads them all) */
export function allNotifyMessages (l: 'ja' | 'en'): Readonly<Record<string, string>> {
  return pairMessages(STRINGS, l)
}
