/**
 * The two ways out: a webhook POST (fetch, no redirects followed, a time bound) and email
 * through any SMTP server named by SMTP_URL (smtp:// or smtps://user:pass@host:port; nodemailer
 * speaks STARTTLS and AUTH as the server offers). Both answer SendResult, never throw.
 */
import nodemailer from "nodemailer";
import type { SendResult, Senders } from "./deliver.ts";
import { describe } from "./deliver.ts";

const TIMEOUT_MS = 10_000;
export const DEFAULT_EMAIL_FROM = "Qaxal alerts <alerts@localhost>";

export async function sendWebhook(url: string, body: string, headers: Record<string, string>): Promise<SendResult> {
  try {
    const response = await fetch(url, { method: "POST", headers, body, redirect: "manual", signal: AbortSignal.timeout(TIMEOUT_MS) });
    await response.body?.cancel();
    return response.ok ? { ok: true } : { ok: false, error: `webhook answered ${response.status}` };
  } catch (error) {
    return { ok: false, error: `webhook: ${describe(error)}` };
  }
}

interface Transport {
  sendMail(mail: { from: string; to: string; subject: string; text: string }): Promise<unknown>;
  close(): void;
}

/** Senders from env: SMTP_URL (unset: email deliveries fail with smtp_not_configured and are retried), ALERT_EMAIL_FROM. */
export function sendersFromEnv(): Senders & { close(): void } {
  const smtpUrl = Deno.env.get("SMTP_URL");
  const from = Deno.env.get("ALERT_EMAIL_FROM") || DEFAULT_EMAIL_FROM;
  let transport: Transport | null = null;
  return {
    webhook: sendWebhook,
    async email(to, subject, text) {
      if (!smtpUrl) return { ok: false, error: "smtp_not_configured: SMTP_URL is not set" };
      transport ??= nodemailer.createTransport(smtpUrl, {
        connectionTimeout: TIMEOUT_MS,
        greetingTimeout: TIMEOUT_MS,
        socketTimeout: TIMEOUT_MS,
      }) as Transport;
      try {
        await transport.sendMail({ from, to, subject, text });
        return { ok: true };
      } catch (error) {
        return { ok: false, error: `smtp: ${describe(error)}` };
      }
    },
    close() {
      transport?.close();
      transport = null;
    },
  };
}
