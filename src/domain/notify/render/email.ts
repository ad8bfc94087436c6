/**
 * An e-mail: the subject is the title, the body plain text and a small HTML table (inline
 * styles only, so mail clients show it as meant). Report attachments are attached as files.
 */
import { alertLine, rfc3339, textOf, titleOf, type NotificationMessage } from '../message.js';

export interface EmailContent {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function emailContent(message: NotificationMessage, subjectPrefix = ''): EmailContent {
  const subject = `${subjectPrefix}${titleOf(message)}`.replace(/[\r\n]+/g, ' ').slice(0, 250);
  const text = textOf(message);
  let body: string;
  if (message.kind === 'content') {
    const links = message.links.map(
      (l) => `<li><a href="${escapeHtml(l.url)}">${escapeHtml(l.title)}</a></li>`,
    );
    body = `<p>${escapeHtml(message.text).replace(/\n/g, '<br>')}</p>${links.length ? `<ul>${links.join('')}</ul>` : ''}`;
  } else {
    const row = (state: string, color: string) => (a: (typeof message.firing)[number]) =>
      `<tr><td style="color:${color};font-weight:bold;padding:4px 8px">${state}</td>` +
      `<td style="padding:4px 8px">${escapeHtml(alertLine(a))}</td>` +
      `<td style="padding:4px 8px;color:#555">${escapeHtml(rfc3339(a.startsAt))}</td></tr>`;
    body =
      '<table style="border-collapse:collapse;font-family:sans-serif;font-size:14px">' +
      [
        ...message.firing.map(row('FIRING', '#c0392b')),
        ...message.resolved.map(row('RESOLVED', '#27ae60')),
      ].join('') +
      '</table>';
  }
  const html = `<!doctype html><html><body style="font-family:sans-serif"><h2 style="font-size:16px">${escapeHtml(subject)}</h2>${body}</body></html>`;
  return { subject, text, html };
}
