//! The text after each command's options in `--help`: examples, exit codes and the
//! environment variables the command reads. Kept beside the clap types so a new command
//! gets its own; `tests/cli_help.rs` snapshots every command's help so none goes missing.

macro_rules! help {
    ($examples:expr, $exit:expr, $env:expr $(,)?) => {
        concat!(
            "Examples:\n",
            $examples,
            "\n\nExit codes:\n",
            $exit,
            "\n\nEnvironment:\n",
            $env
        )
    };
}

/// Every command that reads the configuration substitutes `${var.NAME}`.
macro_rules! var_env {
    () => {
        "  WACFG_VAR_NAME      The value of ${var.NAME} (beats the files' vars:; --var NAME=VALUE beats it)."
    };
}

macro_rules! remote_env {
    () => {
        concat!(
            "  WACFG_GRAPH_URL     Send Graph API requests to this URL instead of Meta's (beats meta.graph_url).
  WACFG_SECRET_DIRS   More directories `file:` secrets may be read from (colon-separated).
",
            var_env!(),
            "
  NO_COLOR            Any non-empty value disables colour (as --no-color).
  (and the variables the configuration's env: secrets name: tokens, the PostgreSQL URL)"
        )
    };
}

macro_rules! state_env {
    () => {
        concat!(
            "  WACFG_SECRET_DIRS   More directories `file:` secrets may be read from (colon-separated).
",
            var_env!(),
            "
  NO_COLOR            Any non-empty value disables colour (as --no-color).
  (and the variable an env: PostgreSQL URL names in the state: block)"
        )
    };
}

macro_rules! global_env {
    () => {
        "  NO_COLOR            Any non-empty value disables colour (as --no-color)."
    };
}

pub const TOP: &str = help!(
    "  wacfg init && wacfg validate        Start a configuration and check it
  wacfg plan -o plan.json             Review what would change
  wacfg apply plan.json               Apply exactly that
  wacfg <COMMAND> --help              Each command's examples, exit codes and environment",
    "  0    success
  1    error, invalid configuration, refused or failed change, or a usage error
       (unknown flag, missing argument)
  2    plan --detailed-exitcode with changes; drift found (never a usage error)
  130  apply interrupted by Ctrl-C",
    concat!(
        remote_env!(),
        "\n  CI                  When set, apply never asks for confirmation."
    ),
);

pub const INIT: &str = help!(
    "  wacfg init                    Scaffold wacfg.yaml and .gitignore here
  wacfg init --dir infra/wacfg  ... in another directory",
    "  0  the files were written (existing ones are never overwritten)
  1  error (a file exists, the directory cannot be written)",
    "  (none)",
);

pub const VALIDATE: &str = help!(
    "  wacfg validate                     Check ./wacfg.yaml
  wacfg validate -c config/          Check every *.yaml/*.yml file of a directory, merged
  wacfg validate --format github     Annotations for a GitHub Actions log",
    "  0  valid (warnings may be printed)
  1  invalid, or the files cannot be read",
    concat!(var_env!(), "\n", global_env!()),
);

pub const PLAN: &str = help!(
    "  wacfg plan                                Show what apply would change
  wacfg plan -o plan.json                   Save it for `wacfg apply plan.json`
  wacfg plan --format markdown > plan.md    A pull-request comment
  wacfg plan --detailed-exitcode            Exit 2 when there are changes (CI)
  wacfg plan --target channel_configuration.Marketing_FR
  wacfg plan -c base.yaml -c production.yaml --var region=fr   An environment's overlay
  wacfg plan --refresh-only                 Only record what Meta says now (accept drift)
  wacfg plan --retry-failed                 Resubmit configurations that failed their checks",
    "  0  success (no changes, or changes without --detailed-exitcode)
  1  error, invalid configuration, or a refused plan (safety threshold, prevent_destroy)
  2  changes, with --detailed-exitcode",
    concat!(
        remote_env!(),
        "\n  WACFG_COMMIT        The commit the markdown plan names (else the checkout's HEAD), e.g. a
                      pull request's head rather than CI's merge commit."
    ),
);

pub const APPLY: &str = help!(
    "  wacfg apply                                  Plan, show, ask for `yes`, apply
  wacfg apply --auto-approve                   Without asking (CI)
  wacfg apply plan.json --expect-digest sha256:…   Exactly the reviewed plan
  wacfg apply --timeout 10m                    Stop sending after 10 minutes
  wacfg apply -c base.yaml -c production.yaml  An environment's overlay
  wacfg apply --refresh-only --auto-approve    Record Meta's facts; `wacfg drift` then exits 0
  wacfg apply --auto-approve --wait            Then wait for Meta's review of new templates
  wacfg apply --auto-approve --wait=15m        ... for at most 15 minutes",
    "  0    applied, or nothing to apply (with --wait: templates still in review when the
       wait ends are listed, not failed)
  1    error, a change failed or was not attempted, the plan is stale or refused, or the
       confirmation was declined; with --wait, Meta rejected a template
  130  interrupted by Ctrl-C (the changes in flight finished and were saved)",
    concat!(
        remote_env!(),
        "\n  CI                  When set, apply never asks: pass --auto-approve or a plan file."
    ),
);

pub const DRIFT: &str = help!(
    "  wacfg drift                 What changed at Meta since the last apply
  wacfg drift --format json   As a document",
    "  0  no drift
  1  error
  2  drift found",
    remote_env!(),
);

pub const SHOW: &str = help!(
    "  wacfg show                  The current state
  wacfg show plan.json        A saved plan, as `wacfg plan` printed it
  wacfg show plan.json --format markdown",
    "  0  success
  1  error (the plan or the state cannot be read)",
    state_env!(),
);

pub const DISCOVER: &str = help!(
    "  wacfg discover --business-id 1234567890123456 --token env:WHATSAPP_TOKEN
  wacfg discover --business-id 1234567890123456 --token file:token.txt --format yaml >> wacfg.yaml",
    "  0  success
  1  error (the token cannot be read or is refused, Meta cannot be reached)",
    concat!(
        "  WACFG_GRAPH_URL     Send Graph API requests to this URL instead of Meta's.\n",
        global_env!(),
        "\n  (and the variable --token env:VAR names)"
    ),
);

pub const IMPORT: &str = help!(
    "  wacfg import credentials.acme_fr
  wacfg import channel_configuration.Marketing_FR
  wacfg import channel_configuration.Marketing_FR -c base.yaml -c production.yaml
  wacfg import templates --credentials acme_fr --out templates.yaml",
    "  0  imported (recorded in state; nothing written to Meta)
  1  error, or refused (already in state, not declared, verification or a check failed)",
    remote_env!(),
);

pub const IMPORT_TEMPLATES: &str = help!(
    "  wacfg import templates --credentials acme_fr > templates.yaml
  wacfg import templates --credentials acme_fr --name 'order_*' --out config/templates.yaml
  wacfg import templates --credentials acme_fr -o t.yaml && wacfg plan -c wacfg.yaml -c t.yaml",
    "  0  adopted (YAML written, recorded in state; nothing written to Meta). Templates that
     cannot be adopted are listed on stderr and stay unmanaged
  1  error (unknown credentials, no state, credentials not recorded, Meta unreadable, no
     template matches, --out exists, the state is locked)",
    remote_env!(),
);

pub const STATE: &str = help!(
    "  wacfg state list
  wacfg state show channel_configuration.Marketing_FR
  wacfg state pull > backup.json",
    "  0  success
  1  error",
    state_env!(),
);

pub const STATE_LIST: &str = help!(
    "  wacfg state list
  wacfg state list --format json",
    "  0  success
  1  error",
    state_env!(),
);

pub const STATE_SHOW: &str = help!(
    "  wacfg state show
  wacfg state show channel_configuration.Marketing_FR --format json
  wacfg state show --serial 41   (a past serial, as `wacfg state history` lists them)",
    "  0  success
  1  error (no such resource or serial, the state cannot be read)",
    state_env!(),
);

pub const STATE_MV: &str = help!(
    "  wacfg state mv channel_configuration.Marketing_Old channel_configuration.Marketing_FR
  (or declare `moved:` in the file and let plan/apply carry the rename)",
    "  0  renamed
  1  error, FROM not in state, TO already in state, or another kind",
    state_env!(),
);

pub const STATE_RM: &str = help!(
    "  wacfg state rm channel_configuration.Old_Campaign
  wacfg state rm credentials.acme_fr --yes",
    "  0  removed
  1  error, no such resource, or the confirmation was declined",
    state_env!(),
);

pub const STATE_PULL: &str = help!(
    "  wacfg state pull > backup.json",
    "  0  success
  1  error",
    state_env!(),
);

pub const STATE_PUSH: &str = help!(
    "  wacfg state push backup.json
  wacfg state push other.json --force   Even with another lineage or an older serial",
    "  0  pushed
  1  error, or refused (lineage, serial)",
    state_env!(),
);

pub const STATE_HISTORY: &str = help!(
    "  wacfg state history
  wacfg state history --format json",
    "  0  success
  1  error",
    state_env!(),
);

pub const STATE_FORCE_UNLOCK: &str = help!(
    "  wacfg state force-unlock 6f1c2e0a-…   The id the refused run printed",
    "  0  unlocked
  1  error, or the lock is not the one named",
    state_env!(),
);

pub const STATE_RECOVER: &str = help!(
    "  wacfg state recover --latest
  wacfg state recover --to-serial 12",
    "  0  recovered
  1  error",
    state_env!(),
);

pub const FMT_ABOUT: &str = "\
Rewrite configuration files in the canonical layout, keeping their comments.

Keys follow the order of the JSON Schema (`wacfg schema`), unknown keys after them; 2-space \
indentation, sequences indented under their key; at most one blank line between entries; ids \
and numbers the schema wants as strings are quoted. Each file is rewritten atomically, and \
only after checking that it holds the same data and that formatting it again changes \
nothing. Files using anchors, aliases, tags, multi-line plain or quoted scalars, or flow \
collections over several lines or with comments are refused with the line, never rewritten.";

pub const FMT: &str = help!(
    "  wacfg fmt                   Format ./wacfg.yaml
  wacfg fmt -c config/        Every *.yaml/*.yml file of a directory
  wacfg fmt --check           In CI: list the files that would change",
    "  0  formatted (or already formatted)
  1  with --check: some file would change; or a file cannot be formatted safely, or error",
    "  (none: fmt reads only the files' text; variables are left as written, and --var,
  --graph-url and --secret-dir are accepted like the other commands' but change nothing)",
);

pub const SCHEMA: &str = help!(
    "  wacfg schema > wacfg.schema.json
  wacfg schema --write          Refresh .wacfg/schema.json, the file editors read (offline)
  wacfg schema plan
  wacfg schema state",
    "  0  success",
    "  (none)",
);

pub const COMPLETIONS: &str = help!(
    "  wacfg completions bash > /etc/bash_completion.d/wacfg
  wacfg completions zsh > \"${fpath[1]}/_wacfg\"
  wacfg completions fish > ~/.config/fish/completions/wacfg.fish",
    "  0  success",
    "  (none)",
);

pub const VERSION: &str = help!(
    "  wacfg version
  wacfg version --format json",
    "  0  success",
    "  WACFG_BUILD_COMMIT  At build time: the commit to report (else git's, when there is one).",
);
