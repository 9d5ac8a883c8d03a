import { alertmanagerAlerts, type Notification } from '../alerts/index.js';
import { postJson } from './http.js';

/**
 * Posts the group's findings to Alertmanager's v2 API, one alert per finding; a firing alert
 * stays valid for `validForMs` unless posted again (Alertmanager then resolves it itself).
 */
export async function postAlerts(
  url: string,
  receiver: string,
  n: Notification,
  validForMs: number,
  baseUrl?: string,
): Promise<void> {
  await postJson(`${url.replace(/\/+$/, '')}/api/v2/alerts`, alertmanagerAlerts(n, validForMs, baseUrl), receiver);
}
