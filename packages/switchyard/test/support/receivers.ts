import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/runtime/index.js';

/**
 * Real receivers of alert notifications the integration tests start for themselves: an SMTP
 * server (Debian's aiosmtpd, delivering to a Maildir the test reads) and an Alertmanager
 * (Debian's prometheus-alertmanager, read back through its v2 API). test/infra/install
 * alertmanager smtp installs both.
 */

const INSTALL_HINT = 'test/infra/install alertmanager smtp installs it';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ready: () => Promise<boolean>, child: ChildProcess, log: () => string) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${String(child.exitCode)}): ${log()}`);
    if (await ready()) return;
    await sleep(150);
  }
  child.kill();
  throw new Error(`${what} was not ready within 30 s: ${log()}`);
}

function started(bin: string, args: readonly string[], what: string) {
  let output = '';
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (c: Buffer) => (output = (output + c.toString('utf8')).slice(-4000)));
  child.stderr?.on('data', (c: Buffer) => (output = (output + c.toString('utf8')).slice(-4000)));
  child.on('error', (err) => (output += `\n${what} did not start (${err.message}): ${INSTALL_HINT}`));
  return { child, log: () => output };
}

async function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([gone, sleep(5000).then(() => child.kill('SIGKILL'))]);
}

/** One e-mail as the SMTP server received it: its headers and its text and HTML parts, decoded. */
export interface ReceivedMail {
  readonly headers: Readonly<Record<string, string>>;
  readonly subject: string;
  /** The envelope's recipients, as the server recorded them. */
  readonly rcptTo: readonly string[];
  readonly text: string;
  readonly html: string;
}

export interface TestSmtpServer {
  /** smtp://127.0.0.1:<port>, no credentials. */
  readonly url: string;
  readonly port: number;
  /** What arrived in the Maildir, oldest first. */
  mails(): ReceivedMail[];
  stop(): Promise<void>;
}

const decodeQuotedPrintable = (body: string) =>
  Buffer.from(
    body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    'latin1',
  ).toString('utf8');

function headersOf(head: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

function split(raw: string): [string, string] {
  const at = raw.search(/\r?\n\r?\n/);
  return at < 0 ? [raw, ''] : [raw.slice(0, at), raw.slice(at).replace(/^\r?\n\r?\n/, '')];
}

function decodePart(headers: Record<string, string>, body: string): string {
  const encoding = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return body;
}

/** Reads a MIME message of one text part or a multipart/alternative of text and HTML. */
export function parseMail(raw: string): ReceivedMail {
  const [head, body] = split(raw);
  const headers = headersOf(head);
  const parts: { type: string; content: string }[] = [];
  const boundary = /boundary="?([^";]+)"?/i.exec(headers['content-type'] ?? '')?.[1];
  if (boundary) {
    for (const chunk of body.split(`--${boundary}`).slice(1)) {
      if (chunk.startsWith('--')) break;
      const [partHead, partBody] = split(chunk.replace(/^\r?\n/, ''));
      const partHeaders = headersOf(partHead);
      parts.push({
        type: (partHeaders['content-type'] ?? 'text/plain').split(';')[0] as string,
        content: decodePart(partHeaders, partBody.replace(/\r?\n$/, '')),
      });
    }
  } else {
    parts.push({
      type: (headers['content-type'] ?? 'text/plain').split(';')[0] as string,
      content: decodePart(headers, body),
    });
  }
  return {
    headers,
    subject: headers.subject ?? '',
    rcptTo: (headers['x-rcptto'] ?? '')
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean),
    text: parts.find((p) => p.type === 'text/plain')?.content ?? '',
    html: parts.find((p) => p.type === 'text/html')?.content ?? '',
  };
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('data', (greeting) => {
      socket.destroy();
      resolve(greeting.toString('utf8').startsWith('220'));
    });
    socket.once('error', () => resolve(false));
  });

/** A free port for a receiver the test starts later: a notifier pointed at it first finds nothing listening. */
export const portForLater = () => freePort('127.0.0.1');

/**
 * Debian's aiosmtpd SMTP server on `port` (default: a free one), delivering every message to
 * a Maildir; answers once it greets. Debian's own python3 runs it (another one first on PATH
 * lacks the module).
 */
export async function startSmtpServer(options: { port?: number } = {}): Promise<TestSmtpServer> {
  const port = options.port ?? (await freePort('127.0.0.1'));
  const dir = mkdtempSync(join(tmpdir(), 'sy-smtp-'));
  const maildir = join(dir, 'Maildir');
  const python = process.env.SWITCHYARD_SMTP_PYTHON ?? '/usr/bin/python3';
  const { child, log } = started(
    python,
    ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', maildir],
    'the SMTP server',
  );
  await until(`the SMTP server on port ${port}`, () => listening(port), child, log);
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    mails() {
      const fresh = join(maildir, 'new');
      return readdirSync(fresh)
        .sort()
        .map((name) => parseMail(readFileSync(join(fresh, name), 'utf8')));
    },
    async stop() {
      await stopped(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An alert as Alertmanager's `GET /api/v2/alerts` answers it (the `gettableAlert` of its OpenAPI). */
export interface GettableAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly updatedAt: string;
  readonly generatorURL?: string;
  readonly fingerprint: string;
  readonly status: { readonly state: 'unprocessed' | 'active' | 'suppressed' };
}

export interface TestAlertmanager {
  readonly url: string;
  /** The alerts it holds now that have not ended. */
  alerts(): Promise<GettableAlert[]>;
  stop(): Promise<void>;
}

/** Debian's Alertmanager on a free port, alone (no cluster), routing everything to a receiver that sends nothing. */
export async function startAlertmanager(): Promise<TestAlertmanager> {
  const port = await freePort('127.0.0.1');
  const dir = mkdtempSync(join(tmpdir(), 'sy-alertmanager-'));
  writeFileSync(
    join(dir, 'alertmanager.yml'),
    'route:\n  receiver: nowhere\n  group_wait: 1s\n  group_interval: 1s\nreceivers:\n  - name: nowhere\n',
  );
  const { child, log } = started(
    process.env.SWITCHYARD_ALERTMANAGER_BIN ?? '/usr/bin/prometheus-alertmanager',
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
    'Alertmanager',
  );
  const url = `http://127.0.0.1:${port}`;
  await until(
    `Alertmanager on ${url}`,
    () =>
      fetch(`${url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      ),
    child,
    log,
  );
  return {
    url,
    async alerts() {
      const response = await fetch(`${url}/api/v2/alerts`);
      if (!response.ok) throw new Error(`GET ${url}/api/v2/alerts answered ${response.status}`);
      return (await response.json()) as GettableAlert[];
    },
    async stop() {
      await stopped(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
