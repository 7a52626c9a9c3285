//! `wacfg completions SHELL`: print a shell completion script to stdout. clap writes the
//! static part; for bash, zsh and fish wacfg adds the completion of `--target` with the
//! addresses in the state (`wacfg state list --addresses`, with the `-c` the command line
//! already names), which no static script can know.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::Shell;

use super::{CommandError, CommandResult, Outcome};
use crate::cli::{Cli, CompletionsArgs};

pub fn run(args: CompletionsArgs) -> CommandResult {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "wacfg", &mut script);
    let script = String::from_utf8_lossy(&script);
    let script = with_target_addresses(args.shell, &script);
    let mut out = std::io::stdout().lock();
    out.write_all(script.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| CommandError::new(format!("cannot write to stdout: {e}")))?;
    Ok(Outcome::Success)
}

/// The generated script with `--target` completed from the state, for the shells that can
/// run a command while completing; others get clap's script unchanged.
pub fn with_target_addresses(shell: Shell, script: &str) -> String {
    match shell {
        Shell::Bash => format!("{script}\n{BASH}"),
        Shell::Zsh => {
            // The function must exist before the script's closing `compdef`/call, so it goes
            // right after the `#compdef` line; `--target` specs name it as their action.
            let (first, rest) = script.split_once('\n').unwrap_or((script, ""));
            let rest = rest
                .lines()
                .map(|line| {
                    if line.contains("--target=") {
                        line.replace(":ADDR:_default'", ":ADDR:_wacfg_state_addresses'")
                    } else {
                        line.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join("\n");
            format!("{first}\n{ZSH}\n{rest}\n")
        }
        Shell::Fish => format!("{script}\n{FISH}"),
        _ => script.to_string(),
    }
}

const BASH: &str = r#"# wacfg: complete --target with the addresses in the state, read from the configuration the
# command line names with -c/--config (default wacfg.yaml).
_wacfg_with_targets() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
    if [[ "$prev" == "--target" ]]; then
        local args=() i
        for (( i = 1; i < COMP_CWORD; i++ )); do
            case "${COMP_WORDS[i]}" in
                -c|--config) args+=(--config "${COMP_WORDS[i+1]}") ;;
                --config=*) args+=("${COMP_WORDS[i]}") ;;
            esac
        done
        local IFS=$'\n'
        COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" state list --addresses "${args[@]}" 2>/dev/null)" -- "$cur"))
        return 0
    fi
    _wacfg "$@"
}
if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -F _wacfg_with_targets -o nosort -o bashdefault -o default wacfg
else
    complete -F _wacfg_with_targets -o bashdefault -o default wacfg
fi
"#;

const ZSH: &str = r#"# wacfg: complete --target with the addresses in the state, read from the configuration the
# command line names with -c/--config (default wacfg.yaml).
_wacfg_state_addresses() {
    local -a addresses args
    local i
    for (( i = 2; i < CURRENT; i++ )); do
        case ${words[i]} in
            -c|--config) args+=(--config ${words[i+1]}) ;;
            --config=*) args+=(${words[i]}) ;;
        esac
    done
    addresses=(${(f)"$(${words[1]} state list --addresses $args 2>/dev/null)"})
    compadd -a addresses
}"#;

const FISH: &str = r#"# wacfg: complete --target with the addresses in the state, read from the configuration the
# command line names with -c/--config (default wacfg.yaml).
function __wacfg_state_addresses
    set -l words (commandline -opc)
    set -l args
    for i in (seq (count $words))
        if contains -- $words[$i] -c --config; and test $i -lt (count $words)
            set -a args --config $words[(math $i + 1)]
        end
    end
    wacfg state list --addresses $args 2>/dev/null
end
complete -c wacfg -n "__fish_wacfg_using_subcommand plan; or __fish_wacfg_using_subcommand apply" -l target -x -a '(__wacfg_state_addresses)'
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn script(shell: Shell) -> String {
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "wacfg", &mut script);
        with_target_addresses(shell, &String::from_utf8(script).unwrap())
    }

    #[test]
    fn zsh_target_specs_complete_from_the_state_and_the_function_comes_first() {
        let zsh = script(Shell::Zsh);
        assert!(zsh.starts_with("#compdef wacfg\n"), "{zsh}");
        let defined = zsh.find("_wacfg_state_addresses() {").unwrap();
        let closing = zsh.find("compdef _wacfg wacfg").unwrap();
        assert!(defined < closing);
        let targets: Vec<&str> = zsh.lines().filter(|l| l.contains("--target=")).collect();
        assert!(targets.len() >= 2, "{targets:?}");
        assert!(
            targets
                .iter()
                .all(|l| l.contains(":ADDR:_wacfg_state_addresses'")),
            "{targets:?}"
        );
    }

    #[test]
    fn fish_completes_target_with_the_state_addresses() {
        let fish = script(Shell::Fish);
        assert!(fish.contains("-l target -x -a '(__wacfg_state_addresses)'"));
        assert!(fish.contains("wacfg state list --addresses $args"));
    }

    #[test]
    fn other_shells_get_clap_script_unchanged() {
        let mut plain = Vec::new();
        clap_complete::generate(Shell::Elvish, &mut Cli::command(), "wacfg", &mut plain);
        assert_eq!(script(Shell::Elvish), String::from_utf8(plain).unwrap());
    }
}
