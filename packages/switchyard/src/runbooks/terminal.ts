/**
 * A runbook's markdown for a terminal: headings stand out (bold and underlined where the
 * terminal shows it), code blocks lose their fences and are indented, the rest is left as
 * written — markdown reads well as text.
 */
export function runbookForTerminal(markdown: string, styled: boolean): string {
  const bold = (s: string) => (styled ? `\u001b[1m${s}\u001b[22m` : s);
  const out: string[] = [];
  let inCode = false;
  for (const line of markdown.replace(/\r\n/g, '\n').split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) {
      inCode = !inCode;
      continue;
    }
    if (inCode) {
      out.push(`    ${line}`);
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (!heading) {
      out.push(line);
      continue;
    }
    const title = (heading[2] ?? '').trim();
    if (heading[1] === '#') out.push(bold(title.toUpperCase()), '═'.repeat(Math.min(title.length, 80)));
    else out.push(bold(title), '─'.repeat(Math.min(title.length, 80)));
  }
  return `${out.join('\n').trimEnd()}\n`;
}
