/**
 * What a Certificate's status says that someone should hear: it expires soon (and renewal has not
 * replaced it), its issuance fails, or a temporary certificate is served. Read off the status the
 * certificate controller writes, so nothing here knows how issuance works.
 */
import type { NotificationEvent } from '../event.js';

export interface CertificateView {
  readonly namespace: string;
  readonly name: string;
  readonly secretName: string;
  readonly notAfter?: string;
  readonly failedIssuanceAttempts?: number;
  readonly lastFailureMessage?: string;
  readonly conditions?: readonly {
    readonly type: string;
    readonly status: string;
    readonly reason: string;
    readonly message: string;
  }[];
}

const DAY_MS = 86_400_000;

export function certificateAlerts(
  certificates: readonly CertificateView[],
  now: number,
  options: { readonly expiryDays: number },
): NotificationEvent[] {
  const events: NotificationEvent[] = [];
  for (const cert of certificates) {
    const { namespace, name } = cert;
    const temporary = cert.conditions?.find((c) => c.type === 'Temporary');
    const notAfter = cert.notAfter === undefined ? Number.NaN : Date.parse(cert.notAfter);
    if (temporary?.status === 'True') {
      events.push({
        type: 'CertificateTemporary',
        labels: { namespace, name },
        annotations: {
          summary: `Certificate ${namespace}/${name} is served as a temporary self-signed certificate`,
          description: temporary.message,
        },
      });
    } else if (!Number.isNaN(notAfter) && notAfter - now <= options.expiryDays * DAY_MS) {
      const days = Math.floor((notAfter - now) / DAY_MS);
      events.push({
        type: 'CertificateExpiring',
        labels: { namespace, name, secret: cert.secretName },
        annotations: {
          summary:
            notAfter <= now
              ? `Certificate ${namespace}/${name} has expired`
              : `Certificate ${namespace}/${name} expires in ${days} day${days === 1 ? '' : 's'}`,
          description: `The certificate in Secret ${cert.secretName} is valid until ${cert.notAfter ?? ''}.`,
          notAfter: cert.notAfter ?? '',
        },
      });
    }
    if ((cert.failedIssuanceAttempts ?? 0) > 0) {
      const issuing = cert.conditions?.find((c) => c.type === 'Issuing');
      events.push({
        type: 'CertificateIssuanceFailing',
        labels: { namespace, name },
        annotations: {
          summary: `Issuance of certificate ${namespace}/${name} failed ${cert.failedIssuanceAttempts ?? 0} time(s)`,
          description: cert.lastFailureMessage ?? issuing?.message ?? '',
          ...(issuing ? { reason: issuing.reason } : {}),
        },
      });
    }
  }
  return events;
}
