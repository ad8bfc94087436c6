/**
 * DNS-01 through the user's own HTTP endpoint: POST {"action":"present"|"cleanup","fqdn","value"}
 * with an optional Bearer token. Any 2xx means done; anything else fails with the status and
 * the start of the body, which is all a user needs to debug their endpoint.
 */
import { absoluteName } from './dns-message.js';
import { excerpt, httpCall } from './http-call.js';
import type { DnsProvider } from './provider.js';

export interface WebhookOptions {
  readonly url: string;
  /** Sent as `Authorization: Bearer <token>` when set. */
  readonly token?: string;
  readonly timeoutMs?: number;
}

export type WebhookAction = 'present' | 'cleanup';

/** The request body, as docs/dns01.md documents it. */
export interface WebhookRequest {
  readonly action: WebhookAction;
  /** The TXT record name, with the final dot: "_acme-challenge.example.com.". */
  readonly fqdn: string;
  readonly value: string;
}

export class WebhookProvider implements DnsProvider {
  private readonly url: URL;

  constructor(private readonly options: WebhookOptions) {
    this.url = new URL(options.url);
  }

  present(fqdn: string, value: string): Promise<void> {
    return this.send('present', fqdn, value);
  }

  cleanup(fqdn: string, value: string): Promise<void> {
    return this.send('cleanup', fqdn, value);
  }

  private async send(action: WebhookAction, fqdn: string, value: string): Promise<void> {
    const request: WebhookRequest = { action, fqdn: absoluteName(fqdn), value };
    const token = this.options.token?.trim();
    const response = await httpCall(this.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(request),
      timeoutMs: this.options.timeoutMs,
    });
    if (response.status >= 200 && response.status < 300) return;
    throw new Error(
      `DNS-01 webhook ${this.url.origin}${this.url.pathname} answered ${action} for ${request.fqdn} with ` +
        `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}: ${excerpt(response.body)}`,
    );
  }
}
