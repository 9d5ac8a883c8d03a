/**
 * Reading HAProxy's Runtime API answers, wherever the commands travel (a unix socket on this
 * machine, a port-forward into a router pod). Commands that change something (`set map`,
 * `set server`…) answer nothing when they succeed and a sentence when they do not.
 */

/** Answers HAProxy gives to a command it did not apply. */
const FAILURE =
  /^(Unknown command|No such|Unknown|Require|Can't|Cannot|Invalid|'[^']+' (expects|is)|.*not found|.*unknown)/im;

/** The first line of an answer that says a command was refused, if any. */
export function refusal(answer: string): string | undefined {
  return answer
    .split('\n')
    .map((l) => l.trim())
    .find((l) => FAILURE.test(l));
}

/** What HAProxy writes after each command's answer in interactive mode (`prompt`). */
const PROMPT = '\n> ';

/**
 * The script of one interactive session: `prompt`, the commands one per line, `quit`.
 * Interactive mode ends every answer with a prompt, so the reader knows when each command has
 * been answered without waiting for the connection to close.
 */
export function interactiveScript(commands: readonly string[]): string {
  for (const command of commands) {
    if (command.includes('\n')) throw new Error(`a Runtime API command cannot span lines: ${JSON.stringify(command)}`);
  }
  return ['prompt', ...commands, 'quit', ''].join('\n');
}

/**
 * The answers of the commands of an interactive session, once all have been given (one per
 * command, in order), or `undefined` while some are still to come. `output` is everything read
 * so far; the first prompt answers `prompt` itself.
 */
export function interactiveAnswers(output: string, commands: number): string[] | undefined {
  const parts = output.split(PROMPT);
  // parts[0] precedes the first prompt; parts[i] (1 ≤ i ≤ commands) answers command i; the last
  // command's answer is complete once its own prompt has arrived (one more part after it).
  if (parts.length < commands + 2) return undefined;
  return parts.slice(1, commands + 1).map((p) => p.replace(/\n+$/, ''));
}
