import { paint } from './format.js';

/**
 * Prints `picture()` again whenever it changes, until Ctrl-C: a terminal is redrawn as `watch`
 * does; a pipe or a file gets each new picture after a time line (none for -o json|yaml, a
 * document separator after YAML).
 */
export async function watchPicture(
  picture: () => Promise<string>,
  output: string | undefined,
  intervalMs: number,
): Promise<never> {
  let last = '';
  for (;;) {
    const text = await picture();
    if (text !== last) {
      const out = process.stdout;
      if (out.isTTY && !output) out.write(`\x1b[H\x1b[2J${paint(out, 'dim', new Date().toISOString())}\n${text}`);
      else out.write(`${output ? '' : `--- ${new Date().toISOString()}\n`}${text}${output === 'yaml' ? '---\n' : ''}`);
      last = text;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
