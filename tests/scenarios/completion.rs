//! Shell completion of `--target` from the state: the bash script `wacfg completions bash`
//! prints, sourced in a real bash, offers the addresses `wacfg state list --addresses` reads
//! from the state the command line's configuration names, and leaves everything else to
//! clap's completion.

use crate::harness::Env;

/// Source the printed bash script in bash, complete `words` (the last one being typed),
/// and return the candidates, one per line. bash calls the function with the command, the
/// word being completed and the one before it.
fn complete(env: &Env, words: &[&str]) -> String {
    let script = env.expect(&["completions", "bash"], 0).stdout;
    std::fs::write(env.path("wacfg.bash"), script).expect("write script");
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let probe = format!(
        "source ./wacfg.bash\n\
         COMP_WORDS=('{bin}' {words})\n\
         COMP_CWORD={cword}\n\
         _wacfg_with_targets \"${{COMP_WORDS[0]}}\" \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        bin = env!("CARGO_BIN_EXE_wacfg"),
        words = quoted.join(" "),
        cword = words.len(),
    );
    let out = env
        .program("bash", &["--norc", "-c", &probe])
        .output()
        .expect("bash runs");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn bash_completes_target_with_the_addresses_in_state() {
    let env = Env::new(&crate::config::base());
    env.expect(&["apply", "--auto-approve"], 0);
    let got = complete(&env, &["plan", "--target", "channel_configuration.S"]);
    assert_eq!(
        got,
        "channel_configuration.Spring_Sale\nchannel_configuration.Support_FR\n"
    );
    // With -c, the state of that configuration is read: here a directory without state.
    std::fs::create_dir(env.path("other")).unwrap();
    std::fs::copy(env.path("wacfg.yaml"), env.path("other/wacfg.yaml")).unwrap();
    let got = complete(
        &env,
        &[
            "apply",
            "-c",
            "other/wacfg.yaml",
            "--target",
            "channel_configuration.",
        ],
    );
    assert_eq!(got.trim(), "", "{got}");
    // Anything else is clap's completion.
    let got = complete(&env, &["plan", "--detailed"]);
    assert_eq!(got, "--detailed-exitcode\n");
}
