/**
 * `qsenctl completion bash|zsh`: a completion script built from the command table (help.ts), so
 * a new command completes as soon as it has help. Pure text builders.
 */
import { COMMAND_TOPICS, GLOBAL_OPTIONS } from './help.js';

/** The shells a script is made for. */
export type CompletionShell = 'bash' | 'zsh';

const quote = (words: readonly string[]): string => words.join(' ');

/** The bash script (also what zsh runs through bashcompinit). */
function bashScript(): string {
  const commands = Object.keys(COMMAND_TOPICS);
  const cases = commands.map((name) => {
    const t = COMMAND_TOPICS[name];
    return `    ${name}) subs="${quote(t?.subcommands ?? [])}"; opts="${quote(t?.options ?? [])}" ;;`;
  });
  return `# qsenctl completion for bash: source <(qsenctl completion bash)
_qsenctl() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" command="" subs="" opts="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      --profile|--as|--host|--timeout) ((i++)) ;;
      -*) ;;
      *) command="\${COMP_WORDS[i]}"; break ;;
    esac
  done
  case "\${COMP_WORDS[COMP_CWORD-1]}" in
    --profile|-o|--output) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --as) COMPREPLY=($(compgen -W "platform operator auditor" -- "$cur")); return ;;
  esac
  if [[ -z "$command" ]]; then
    COMPREPLY=($(compgen -W "${quote(commands)} help ${quote(GLOBAL_OPTIONS)}" -- "$cur"))
    return
  fi
  case "$command" in
${cases.join('\n')}
    help) subs="${quote(commands)}" ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$opts ${quote(GLOBAL_OPTIONS)}" -- "$cur"))
  elif ((COMP_CWORD == i + 1)); then
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
  fi
}
complete -F _qsenctl qsenctl
`;
}

/** The completion script for `shell`. */
export function renderCompletion(shell: CompletionShell): string {
  if (shell === 'bash') return bashScript();
  return `# qsenctl completion for zsh: source <(qsenctl completion zsh)
autoload -U +X compinit && { (( $+functions[compdef] )) || compinit; }
autoload -U +X bashcompinit && bashcompinit
${bashScript()}`;
}
