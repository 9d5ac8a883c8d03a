import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createConnection, type AddressInfo } from 'node:net';
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

/**
 * Polls `check` until it gives a value (anything but undefined), and returns it; after
 * `timeoutMs` throws, naming what was awaited and, if given, what `context` says was seen.
 */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs?: number; everyMs?: number; context?: () => string | Promise<string> } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await check();
    if (found !== undefined) return found;
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${timeoutMs} ms${options.context ? `; ${await options.context()}` : ''}`);
    await sleep(options.everyMs ?? 200);
  }
}

/** A real HTTP receiver of webhook notifications (Slack's format or the generic one). */
export interface WebhookReceiver<T> {
  /** Where to post (`http://127.0.0.1:<port>/hook`). */
  readonly url: string;
  /** The JSON bodies taken (answered 200), in order. */
  readonly received: T[];
  /** When each body was taken (ms since the epoch), in the same order. */
  readonly arrivedAt: number[];
  /** The content types of the bodies taken. */
  readonly contentTypes: Set<string>;
  /** Every POST seen, taken or refused. */
  readonly attempts: number;
  /** While true every POST is answered 503 and nothing is kept: a receiver that is down. */
  down: boolean;
  close(): Promise<void>;
}

export async function startWebhookReceiver<T>(options: { down?: boolean } = {}): Promise<WebhookReceiver<T>> {
  const received: T[] = [];
  const arrivedAt: number[] = [];
  const contentTypes = new Set<string>();
  let attempts = 0;
  const state = { down: options.down ?? false };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      attempts += 1;
      if (state.down) return void res.writeHead(503).end('down');
      contentTypes.add(String(req.headers['content-type']));
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as T);
      arrivedAt.push(Date.now());
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    arrivedAt,
    contentTypes,
    get attempts() {
      return attempts;
    },
    get down() {
      return state.down;
    },
    set down(value: boolean) {
      state.down = value;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
