/**
 * E-mail through SMTP with nodemailer: STARTTLS required (the default; a server that does not
 * offer it is refused rather than spoken to in clear), implicit TLS, or plain for a local relay;
 * a login from the channel's Secret; report attachments as MIME parts. SMTP's own codes decide
 * retries: 4xx is temporary, 5xx is final (a refused login, an unknown mailbox).
 */
import { emailContent } from '../../domain/notify/render/email.js';
import type { AttemptResult } from '../../domain/notify/delivery-policy.js';
import { durationMillis } from '../../api/v1alpha1/checks/duration.js';
import type { Transport } from './channel.js';
import { caFrom } from './http-post.js';

interface SmtpError {
  readonly code?: string;
  readonly responseCode?: number;
  readonly message?: string;
}

/** How an SMTP failure is treated; `where` names the server, never the login. */
export function smtpResult(error: SmtpError, where: string): AttemptResult {
  const detail = error.responseCode ? `SMTP ${error.responseCode}` : (error.code ?? 'error');
  const text = `${where}: ${detail}${error.message ? ` (${error.message.replace(/\s+/g, ' ').slice(0, 200)})` : ''}`;
  if (error.code === 'EAUTH')
    return { outcome: 'permanent', error: `${text}; check the login in authSecretRef` };
  if (error.responseCode !== undefined && error.responseCode >= 500)
    return { outcome: 'permanent', error: text };
  return { outcome: 'retryable', error: text };
}

export const emailTransport: Transport = {
  async send(message, channel, context) {
    const spec = channel.spec.email;
    if (!spec) return { outcome: 'permanent', error: 'spec.email is not set' };
    const timeout = durationMillis(channel.spec.timeout);
    const ca = caFrom(spec.caBundle);
    const auth = spec.authSecretRef;
    // Loaded on the first e-mail: most installations have no e-mail channel (+14 MiB at start).
    const { createTransport } = await import('nodemailer');
    const transporter = createTransport({
      host: spec.host,
      port: spec.port,
      secure: spec.tls === 'TLS',
      requireTLS: spec.tls === 'StartTLS',
      ignoreTLS: spec.tls === 'None',
      ...(auth
        ? {
            auth: {
              user: channel.secret({ name: auth.name, key: auth.usernameKey }),
              pass: channel.secret({ name: auth.name, key: auth.passwordKey }),
            },
          }
        : {}),
      ...(ca ? { tls: { ca } } : {}),
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      disableFileAccess: true,
      disableUrlAccess: true,
    });
    const abort = (): void => transporter.close();
    context.signal.addEventListener('abort', abort, { once: true });
    const content = emailContent(message, spec.subjectPrefix ?? '');
    try {
      await transporter.sendMail({
        from: spec.from,
        to: [...spec.to],
        subject: content.subject,
        text: content.text,
        html: content.html,
        ...(message.kind === 'content' && message.attachments.length > 0
          ? {
              attachments: message.attachments.map((a) => ({
                filename: a.filename,
                contentType: a.contentType,
                content: Buffer.from(a.contentBase64, 'base64'),
              })),
            }
          : {}),
      });
      return { outcome: 'sent' };
    } catch (error) {
      if (context.signal.aborted)
        return { outcome: 'retryable', error: `${spec.host}:${spec.port}: no answer before the timeout` };
      return smtpResult(error as SmtpError, `${spec.host}:${spec.port}`);
    } finally {
      context.signal.removeEventListener('abort', abort);
      transporter.close();
    }
  },
};
