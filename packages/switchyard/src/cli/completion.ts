import type { Command, Option } from 'commander';

/** One command of the tree, as a shell completes it: its words and the options that take one of a few values. */
interface Node {
  /** ` traffic share`: the words after `switchyard`, each after a space (the root is ``). */
  readonly path: string;
  readonly words: readonly { readonly word: string; readonly description: string }[];
  readonly choices: readonly { readonly flags: readonly string[]; readonly values: readonly string[] }[];
}

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

const summary = (text: string) => {
  const first = text.split('\n')[0] ?? '';
  return first.length > 70 ? `${first.slice(0, 69)}…` : first;
};

const flagsOf = (o: Option) => [o.short, o.long].filter((f): f is string => f !== undefined);

/** Walks the command tree through commander's own help: what `--help` shows is what a shell completes. */
function walk(command: Command, path = ''): Node[] {
  const help = command.createHelp();
  const subcommands = help.visibleCommands(command).filter((c) => c.name() !== 'help');
  const options = help.visibleOptions(command);
  const node: Node = {
    path,
    words: [
      ...subcommands.map((c) => ({ word: c.name(), description: summary(c.description()) })),
      ...command.registeredArguments.flatMap((a) =>
        (a.argChoices ?? []).map((word) => ({ word, description: summary(a.description) })),
      ),
      ...options.flatMap((o) => flagsOf(o).map((word) => ({ word, description: summary(o.description) }))),
    ],
    choices: options.filter((o) => o.argChoices).map((o) => ({ flags: flagsOf(o), values: o.argChoices ?? [] })),
  };
  return [node, ...subcommands.flatMap((c) => walk(c, `${path} ${c.name()}`))];
}

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

function bash(nodes: readonly Node[]): string {
  const paths = nodes.filter((n) => n.path).map((n) => `"${n.path}"`);
  const choiceCases = nodes.flatMap((n) =>
    n.choices.map(
      (c) =>
        `    ${c.flags.map((f) => `"${n.path}:${f}"`).join('|')}) COMPREPLY=($(compgen -W ${quote(c.values.join(' '))} -- "$cur")); return ;;`,
    ),
  );
  const wordCases = nodes.map((n) => `    "${n.path}") words=${quote(n.words.map((w) => w.word).join(' '))} ;;`);
  return `# bash completion for switchyard: generated from its commands by \`switchyard completion bash\`.
# Load it with: source <(switchyard completion bash)
_switchyard() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" cmdpath="" words="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${cmdpath} \${COMP_WORDS[i]}" in
      ${paths.join('|')}) cmdpath="\${cmdpath} \${COMP_WORDS[i]}" ;;
    esac
  done
  case "\${cmdpath}:\${prev}" in
${choiceCases.join('\n')}
  esac
  case "\${cmdpath}" in
${wordCases.join('\n')}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _switchyard switchyard
`;
}

function zsh(nodes: readonly Node[]): string {
  const paths = nodes.filter((n) => n.path).map((n) => `"${n.path}"`);
  const choiceCases = nodes.flatMap((n) =>
    n.choices.map(
      (c) => `    ${c.flags.map((f) => `"${n.path}:${f}"`).join('|')}) compadd -- ${c.values.join(' ')}; return ;;`,
    ),
  );
  const wordCases = nodes.map(
    (n) =>
      `    "${n.path}") items=(${n.words.map((w) => quote(`${w.word}:${w.description.replace(/:/g, '\\:')}`)).join(' ')}) ;;`,
  );
  return `#compdef switchyard
# zsh completion for switchyard: generated from its commands by \`switchyard completion zsh\`.
# Load it with: source <(switchyard completion zsh), or save it as _switchyard in a directory of $fpath.
_switchyard() {
  local cmdpath="" i
  local -a items
  for ((i = 2; i < CURRENT; i++)); do
    case "\${cmdpath} \${words[i]}" in
      ${paths.join('|')}) cmdpath="\${cmdpath} \${words[i]}" ;;
    esac
  done
  case "\${cmdpath}:\${words[CURRENT-1]}" in
${choiceCases.join('\n')}
  esac
  case "\${cmdpath}" in
${wordCases.join('\n')}
  esac
  _describe -t commands switchyard items || _files
}
if [[ "\${zsh_eval_context[-1]}" == loadautofunc ]]; then _switchyard "$@"; else compdef _switchyard switchyard; fi
`;
}

function fish(nodes: readonly Node[]): string {
  const paths = nodes.filter((n) => n.path).map((n) => quote(n.path));
  const lines = nodes.flatMap((n) => {
    const at = `-n '__switchyard_at ${quote(n.path).replace(/'/g, "\\'")}'`;
    const valued = new Map(n.choices.flatMap((c) => c.flags.map((f) => [f, c.values] as const)));
    return n.words.map((w) => {
      const values = valued.get(w.word);
      const what = w.word.startsWith('--')
        ? `-l ${w.word.slice(2)}`
        : w.word.startsWith('-')
          ? `-s ${w.word.slice(1)}`
          : `-f -a ${w.word}`;
      return `complete -c switchyard ${at} ${what}${values ? ` -x -a ${quote(values.join(' '))}` : ''} -d ${quote(w.description)}`;
    });
  });
  return `# fish completion for switchyard: generated from its commands by \`switchyard completion fish\`.
# Load it with: switchyard completion fish | source, or save it as ~/.config/fish/completions/switchyard.fish
function __switchyard_path
  set -l cmdpath ''
  for word in (commandline -opc)[2..-1]
    if contains -- "$cmdpath $word" ${paths.join(' ')}
      set cmdpath "$cmdpath $word"
    end
  end
  echo "$cmdpath"
end
function __switchyard_at
  set -l cmdpath (__switchyard_path)
  test "$cmdpath" = "$argv[1]"
end
${lines.join('\n')}
`;
}

/** The completion script of a shell, generated from the command tree. */
export function completionScript(program: Command, shell: Shell): string {
  const nodes = walk(program);
  return shell === 'bash' ? bash(nodes) : shell === 'zsh' ? zsh(nodes) : fish(nodes);
}
