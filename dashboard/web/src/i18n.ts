import type { StationStatus } from './types.js'

/** Japanese first; English for visiting staff and foreign residents' liaison. */
export type Lang = 'ja' | 'en'

const STORAGE_KEY = 'mimamori.lang'

const ja = {
  'doc.title': '河川水位 — 見守り',
  'app.subtitle': '河川水位',
  'skip.toList': '観測所一覧へ移動',
  'map.label': '河川水位観測所の地図',
  'panel.label': '観測所一覧',
  'panel.stations': '観測所',
  'panel.cameras': 'カメラ',
  'panel.events': '最近の水位変化',
  'panel.noEvents': 'まだありません',
  'summary.alerting': '氾濫注意水位以上: {n} か所',
  'summary.none': '氾濫注意水位以上の観測所はありません',
  'live.connecting': '接続中…',
  'live.live': 'ライブ',
  'live.reconnecting': '再接続中…',
  'live.title': 'リアルタイム更新の接続状態',
  'lastUpdate': '最終更新',
  'lang.group': '表示言語',
  'legend.title': '凡例（水位の段階）',
  'legend.toggle': '凡例',
  'offline.note': 'オフライン地図（背景地図なし）',
  'status.normal': '平常',
  'status.standby': '水防団待機',
  'status.caution': '氾濫注意',
  'status.evacuationJudgement': '避難判断',
  'status.danger': '氾濫危険',
  'status.flooding': '氾濫発生',
  'status.unknown': '欠測',
  'action.3': '高齢者等避難',
  'action.4': '避難指示',
  'action.5': '緊急安全確保',
  'threshold.observationStart': '観測開始水位',
  'threshold.standby': '水防団待機水位',
  'threshold.caution': '氾濫注意水位',
  'threshold.evacuationJudgement': '避難判断水位',
  'threshold.danger': '氾濫危険水位',
  'threshold.flooding': '氾濫発生',
  'short.standby': '待機',
  'popup.level': '水位',
  'popup.observed': '観測日時',
  'popup.received': '最終受信',
  'popup.river': '河川',
  'popup.noData': 'まだ観測値がありません',
  'popup.next': '{band}まで あと {d}',
  'popup.top': '最高の基準水位に達しています',
  'popup.thresholds': '基準水位',
  'popup.chart': '過去24時間',
  'popup.chartLoading': '読み込み中…',
  'popup.chartEmpty': '24時間以内の観測値なし',
  'popup.chartError': 'グラフを読み込めませんでした',
  'popup.chartAria': '過去24時間の水位: 最高 {max}、最低 {min}',
  'popup.battery': '電池',
  'popup.device': '機器',
  'popup.backlog': '欠測補完: {sent} 件送信、{summarised} 件要約（{from}～{to}）',
  'popup.pending': '確認待ち {level}（{time} 観測・品質確認中のため現在値には使いません）',
  'chart.start': '24時間前',
  'chart.end': '現在',
  'camera.label': 'カメラ',
  'camera.taken': '撮影日時',
  'camera.noImage': 'まだ画像がありません',
  'camera.imageAlt': '{name} の最新画像',
  'camera.sighting': 'サル出没',
  'camera.sightingAt': '{name}: サル出没',
  'camera.score': 'スコア',
  'camera.frames': '{p}/{n} 枚で検出',
  'camera.thumbAlt': '{name} で検出されたサルの画像',
  'camera.alertState': '通知',
  'camera.suppressed': '待機時間内（通知なし）',
  'camera.feedbackLink': 'サルでした／誤報を報告',
  'camera.onDevice': 'カメラ内で判定',
  'alertState.pending': '保留',
  'alertState.firing': '発報中',
  'alertState.acknowledged': '対応中',
  'alertState.resolved': '解除',
  'hunter.docTitle': 'サル出没通知（猟友会） — 見守り',
  'hunter.subtitle': 'サル出没通知（猟友会）',
  'hunter.pick': '猟友会員',
  'hunter.pickNone': '— 選択してください —',
  'hunter.noHunters': '登録された猟友会員がいません',
  'hunter.alerts': 'あなたの区域の通知',
  'hunter.empty': '通知はまだありません',
  'hunter.choose': '会員を選ぶと、担当区域の通知だけが表示されます',
  'hunter.confirm': 'サルでした',
  'hunter.reject': '誤報',
  'hunter.confirmed': '「サルでした」を送りました',
  'hunter.rejected': '「誤報」を送りました',
  'hunter.sendError': '送信できませんでした: {msg}',
  'hunter.new': '新しい通知: {name}',
  'hunter.map': '地図',
  'row.noData': '—',
  'event.change': '{name}: {from} → {to}（{level}）',
  'announcer.close': '閉じる',
  'error.load': 'データを読み込めませんでした。再試行します…',
  'panel.alerts': 'アラート',
  'alert.none': '対応が必要なアラートはありません',
  'alert.rule.threshold.standby': '水防団待機水位 超過',
  'alert.rule.threshold.caution': '氾濫注意水位 超過（Lv2）',
  'alert.rule.threshold.evacuationJudgement': '避難判断水位 超過（Lv3）',
  'alert.rule.threshold.danger': '氾濫危険水位 超過（Lv4）',
  'alert.rule.threshold.flooding': '氾濫発生（Lv5）',
  'alert.rule.rateOfRise': '急激な水位上昇',
  'alert.rule.forecast.danger': '3時間以内に氾濫危険水位の見込み',
  'alert.rule.silent': '欠測・無通信',
  'alert.rule.sighting': 'サル出没',
  'alert.state.pending': '確認待ち',
  'alert.state.firing': '発報中',
  'alert.state.acknowledged': '対応中',
  'alert.state.resolved': '解除済み',
  'alert.severity.minor': '情報',
  'alert.severity.moderate': '注意',
  'alert.severity.severe': '警戒',
  'alert.severity.extreme': '危険',
  'alert.drill': '訓練',
  'alert.drillTitle': '訓練: 住民向けには配信されません',
  'alert.historical': '過去データ',
  'alert.historicalTitle': '後から届いた過去の観測値（欠測補完・再生）によるアラートです。現在のデータで確かめられるまで通知は送られません。',
  'alert.ack': '確認',
  'alert.resolve': '解除',
  'alert.observed': '観測',
  'alert.latest': '最新',
  'alert.ackBy': '確認: {by}（{at}）',
  'alert.showOnMap': '地図で表示',
  'alert.detail.level': '到達時の水位 {level}（基準 {threshold}）',
  'alert.detail.revision': '発報時の基準: 第{n}版 {from} ({source})',
  'fleet.maintenance': '点検中・警報停止',
  'fleet.retired': '廃止',
  'alert.detail.rate': '上昇速度 {rate}・検知時の水位 {level}',
  'alert.detail.forecast': '{at} 頃 到達見込み（約{min}分後）',
  'alert.detail.silent': '最終受信 {at}',
  'alert.detail.sighting': '{of}枚中 {n}枚で検出',
  'alert.bannerLabel': '避難判断レベル以上のアラート',
  'alert.bannerMore': 'ほか {n} 件',
  'alert.bannerShow': '詳細',
  'alert.err.state': 'アラートの状態が既に変わっています',
  'alert.err.network': 'サーバーに接続できません',
  'alert.err.refused': 'サーバーが受け付けませんでした',
  'alert.err.format': '{what} を{action}できませんでした。{hint}（{code}: {message}）',
  'alert.err.close': '閉じる',
  'operator.label': '担当',
  'operator.none': '未設定',
  'operator.edit': '担当者名を変更（現在: {name}）',
  'operator.title': '担当者名',
  'operator.help': '確認・解除の記録に残ります。この端末に保存されます。',
  'operator.save': '保存',
  'operator.cancel': 'キャンセル',
  'operator.required': '名前を入力してください',
  'error.leaflet': '地図ライブラリを読み込めませんでした'
}

export type MessageKey = keyof typeof ja

const en: Record<MessageKey, string> = {
  'doc.title': 'mimamori — River water levels',
  'app.subtitle': 'River water levels',
  'skip.toList': 'Skip to station list',
  'map.label': 'Map of river level stations',
  'panel.label': 'Station list',
  'panel.stations': 'Stations',
  'panel.cameras': 'Cameras',
  'panel.events': 'Recent level changes',
  'panel.noEvents': 'None yet',
  'summary.alerting': 'At or above flood caution: {n}',
  'summary.none': 'No station at or above flood caution',
  'live.connecting': 'Connecting…',
  'live.live': 'Live',
  'live.reconnecting': 'Reconnecting…',
  'live.title': 'Live update connection',
  'lastUpdate': 'Last update',
  'lang.group': 'Language',
  'legend.title': 'Legend (water level bands)',
  'legend.toggle': 'Legend',
  'offline.note': 'Offline map (no tiles configured)',
  'status.normal': 'Normal',
  'status.standby': 'Flood-fighting standby',
  'status.caution': 'Flood caution',
  'status.evacuationJudgement': 'Evacuation judgement',
  'status.danger': 'Flood danger',
  'status.flooding': 'Flooding',
  'status.unknown': 'No data',
  'action.3': 'Elderly evacuate',
  'action.4': 'Evacuate',
  'action.5': 'Emergency safety',
  'threshold.observationStart': 'Observation start',
  'threshold.standby': 'Standby level',
  'threshold.caution': 'Caution level',
  'threshold.evacuationJudgement': 'Evacuation judgement',
  'threshold.danger': 'Danger level',
  'threshold.flooding': 'Flooding',
  'short.standby': 'Stby',
  'popup.level': 'Level',
  'popup.observed': 'Observed',
  'popup.received': 'received',
  'popup.river': 'River',
  'popup.noData': 'No reading yet',
  'popup.next': '{d} below {band}',
  'popup.top': 'Highest threshold reached',
  'popup.thresholds': 'Thresholds',
  'popup.chart': 'Last 24 h',
  'popup.chartLoading': 'Loading…',
  'popup.chartEmpty': 'No readings in the last 24 h',
  'popup.chartError': 'Could not load the chart',
  'popup.chartAria': 'Water level over the last 24 hours: max {max}, min {min}',
  'popup.battery': 'Battery',
  'popup.device': 'Device',
  'popup.backlog': 'Outage backfill: {sent} sent, {summarised} summarised ({from}–{to})',
  'popup.pending': 'Awaiting QC: {level} observed {time} (not used as the current level until confirmed)',
  'chart.start': '−24 h',
  'chart.end': 'now',
  'camera.label': 'Camera',
  'camera.taken': 'Taken',
  'camera.noImage': 'No image yet',
  'camera.imageAlt': 'Latest image from {name}',
  'camera.sighting': 'Monkeys sighted',
  'camera.sightingAt': '{name}: monkeys sighted',
  'camera.score': 'Score',
  'camera.frames': 'in {p} of {n} frames',
  'camera.thumbAlt': 'Monkeys detected at {name}',
  'camera.alertState': 'Alert',
  'camera.suppressed': 'within cooldown (no alert)',
  'camera.feedbackLink': 'Report monkeys / false alarm',
  'camera.onDevice': 'judged on the camera',
  'alertState.pending': 'pending',
  'alertState.firing': 'firing',
  'alertState.acknowledged': 'acknowledged',
  'alertState.resolved': 'resolved',
  'hunter.docTitle': 'mimamori — monkey alerts for hunters',
  'hunter.subtitle': 'Monkey alerts (hunters)',
  'hunter.pick': 'Hunter',
  'hunter.pickNone': '— choose —',
  'hunter.noHunters': 'No hunters registered',
  'hunter.alerts': 'Alerts in your areas',
  'hunter.empty': 'No alerts yet',
  'hunter.choose': 'Choose a hunter to see only the alerts for their areas',
  'hunter.confirm': 'Monkeys, yes',
  'hunter.reject': 'False alarm',
  'hunter.confirmed': 'Sent “monkeys, yes”',
  'hunter.rejected': 'Sent “false alarm”',
  'hunter.sendError': 'Could not send: {msg}',
  'hunter.new': 'New alert: {name}',
  'hunter.map': 'Map',
  'row.noData': '—',
  'event.change': '{name}: {from} → {to} ({level})',
  'announcer.close': 'Dismiss',
  'error.load': 'Could not load data. Retrying…',
  'panel.alerts': 'Alerts',
  'alert.none': 'No open alerts',
  'alert.rule.threshold.standby': 'Above standby level',
  'alert.rule.threshold.caution': 'Above flood caution level (Lv2)',
  'alert.rule.threshold.evacuationJudgement': 'Above evacuation judgement level (Lv3)',
  'alert.rule.threshold.danger': 'Above flood danger level (Lv4)',
  'alert.rule.threshold.flooding': 'Flooding (Lv5)',
  'alert.rule.rateOfRise': 'Rapid rise',
  'alert.rule.forecast.danger': 'Flood danger expected within 3 h',
  'alert.rule.silent': 'No data / station silent',
  'alert.rule.sighting': 'Monkeys sighted',
  'alert.state.pending': 'Unconfirmed',
  'alert.state.firing': 'Firing',
  'alert.state.acknowledged': 'In hand',
  'alert.state.resolved': 'Resolved',
  'alert.severity.minor': 'Minor',
  'alert.severity.moderate': 'Moderate',
  'alert.severity.severe': 'Severe',
  'alert.severity.extreme': 'Extreme',
  'alert.drill': 'Drill',
  'alert.drillTitle': 'Drill: never sent to the public',
  'alert.historical': 'past data',
  'alert.historicalTitle': 'Raised from readings that arrived long after they were taken (back-fill, replay); nobody is notified until current data confirms it.',
  'alert.ack': 'Acknowledge',
  'alert.resolve': 'Resolve',
  'alert.observed': 'Observed',
  'alert.latest': 'latest',
  'alert.ackBy': 'Ack {by} ({at})',
  'alert.showOnMap': 'Show on map',
  'alert.detail.level': 'Level when reached {level} (threshold {threshold})',
  'alert.detail.revision': 'thresholds when raised: revision {n} {from} ({source})',
  'fleet.maintenance': 'maintenance, alerts off',
  'fleet.retired': 'retired',
  'alert.detail.rate': 'Rising {rate} · level {level}',
  'alert.detail.forecast': 'Expected around {at} (in ~{min} min)',
  'alert.detail.silent': 'Last heard {at}',
  'alert.detail.sighting': 'Seen in {n} of {of} frames',
  'alert.bannerLabel': 'Alert at evacuation level or above',
  'alert.bannerMore': '+{n} more',
  'alert.bannerShow': 'Details',
  'alert.err.state': 'the alert has already changed state',
  'alert.err.network': 'cannot reach the server',
  'alert.err.refused': 'the server refused',
  'alert.err.format': 'Could not {action}: {what} — {hint} ({code}: {message})',
  'alert.err.close': 'Dismiss',
  'operator.label': 'Operator',
  'operator.none': 'not set',
  'operator.edit': 'Change operator name (now: {name})',
  'operator.title': 'Operator name',
  'operator.help': 'Recorded with every acknowledge / resolve. Saved on this device.',
  'operator.save': 'Save',
  'operator.cancel': 'Cancel',
  'operator.required': 'Enter a name',
  'error.leaflet': 'The map library failed to load'
}

const messages: Record<Lang, Record<MessageKey, string>> = { ja, en }

function isMessageKey (key: string): key is MessageKey {
  return Object.hasOwn(ja, key)
}

function readStored (): Lang {
  try {
    return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'ja'
  } catch {
    // storage can be disabled (private mode, policies): Japanese it is
    return 'ja'
  }
}

let current: Lang = readStored()
const listeners = new Set<(lang: Lang) => void>()

export function lang (): Lang {
  return current
}

export function t (key: MessageKey, vars: Record<string, string | number> = {}): string {
  const template = messages[current][key]
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = vars[name]
    return value === undefined ? whole : String(value)
  })
}

/** 氾濫注意 Lv2 / 避難判断 Lv3 … : the short band label used on chips */
export function statusLabel (status: StationStatus): string {
  const lv = { caution: 2, evacuationJudgement: 3, danger: 4, flooding: 5 }[status as string]
  return lv === undefined ? t(`status.${status}`) : `${t(`status.${status}`)} Lv${lv}`
}

/** statusLabel plus the residents' action for Lv3–Lv5 (避難判断 Lv3 高齢者等避難) */
export function statusLabelLong (status: StationStatus): string {
  const action = { evacuationJudgement: 'action.3', danger: 'action.4', flooding: 'action.5' }[status as string]
  return action === undefined || !isMessageKey(action) ? statusLabel(status) : `${statusLabel(status)} ${t(action)}`
}

export function displayName (item: { name: string, nameEn: string }): string {
  return current === 'en' && item.nameEn !== '' ? item.nameEn : item.name
}

/** Static text in index.html: data-i18n → textContent, data-i18n-aria-label / -title → attributes. */
export function applyStatic (root: ParentNode = document): void {
  document.documentElement.lang = current
  // a page may name its own title key (<html data-title-key="hunter.docTitle">)
  const titleKey = document.documentElement.dataset.titleKey ?? ''
  document.title = t(isMessageKey(titleKey) ? titleKey : 'doc.title')
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n]')) {
    const key = el.dataset.i18n ?? ''
    if (isMessageKey(key)) el.textContent = t(key)
  }
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n-aria-label]')) {
    const key = el.dataset.i18nAriaLabel ?? ''
    if (isMessageKey(key)) el.setAttribute('aria-label', t(key))
  }
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n-title]')) {
    const key = el.dataset.i18nTitle ?? ''
    if (isMessageKey(key)) el.title = t(key)
  }
}

export function setLang (next: Lang): void {
  if (next === current) return
  current = next
  try {
    localStorage.setItem(STORAGE_KEY, next)
  } catch {
    // not persisted; the choice still holds for this page
  }
  applyStatic()
  for (const fn of listeners) fn(next)
}

export function onLangChange (fn: (lang: Lang) => void): void {
  listeners.add(fn)
}

/** every message of one language (the copy test reads them all) */
export function allMessages (l: Lang): Readonly<Record<string, string>> {
  return messages[l]
}
