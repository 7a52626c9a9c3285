//! The command line as clap types, and nothing else: no validation beyond what clap does,
//! no I/O. `command/` turns these raw flags into work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod help;

/// WhatsApp channel configuration as code: validate, plan and apply.
#[derive(Debug, Parser)]
#[command(name = "wacfg", version, about, long_about = None, after_help = help::TOP)]
pub struct Cli {
    /// Disable colour (also honoured: the NO_COLOR environment variable).
    #[arg(long, global = true)]
    pub no_color: bool,

    /// Send Graph API requests, and so the tokens, to this base URL instead of Meta's
    /// (https://graph.facebook.com), e.g. a simulator. Beats WACFG_GRAPH_URL, which beats the
    /// file's meta.graph_url. A configuration file alone may name only Meta's host: any other
    /// meta.graph_url is refused unless this flag or WACFG_GRAPH_URL is set.
    #[arg(long, global = true, value_name = "URL")]
    pub graph_url: Option<String>,

    /// Also allow `file:` secrets (tokens, verify tokens, the PostgreSQL URL) and template
    /// header files under DIR (repeatable; WACFG_SECRET_DIRS adds a colon-separated list).
    /// Without it, a `file:` reference must resolve, symlinks and `..` followed, inside the
    /// configuration's directory. Secret files are regular files of at most 64 KiB; header
    /// files are bounded by Meta's size for their format.
    #[arg(long = "secret-dir", global = true, value_name = "DIR")]
    pub secret_dirs: Vec<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scaffold wacfg.yaml (schema modeline, commented example) and a .gitignore.
    #[command(after_help = help::INIT)]
    Init(InitArgs),
    /// Check the configuration offline: schema, naming rules, references. No token, no network.
    #[command(after_help = help::VALIDATE)]
    Validate(ValidateArgs),
    /// Read Meta and the state, and print what apply would change.
    #[command(after_help = help::PLAN)]
    Plan(PlanArgs),
    /// Apply a saved plan, or plan and ask for confirmation.
    #[command(after_help = help::APPLY)]
    Apply(ApplyArgs),
    /// Refresh only: report what changed at Meta since the last apply.
    #[command(after_help = help::DRIFT)]
    Drift(DriftArgs),
    /// Show a saved plan, or the current state.
    #[command(after_help = help::SHOW)]
    Show(ShowArgs),
    /// List a business portfolio's WABAs and numbers, and print ready-to-paste credentials YAML.
    #[command(after_help = help::DISCOVER)]
    Discover(DiscoverArgs),
    /// Record an object that already exists and that the file declares (credentials, a
    /// channel configuration) in the state, after verifying it against Meta.
    #[command(long_about = IMPORT_HELP, after_help = help::IMPORT)]
    Import(ImportArgs),
    /// Inspect and edit the state.
    #[command(subcommand, long_about = STATE_HELP, after_help = help::STATE)]
    State(StateCommand),
    /// Rewrite configuration files in the canonical layout (comments kept); --check for CI.
    #[command(long_about = help::FMT_ABOUT, after_help = help::FMT)]
    Fmt(FmtArgs),
    /// Print a JSON Schema: the configuration file (default), a plan or the state.
    #[command(after_help = help::SCHEMA)]
    Schema(SchemaArgs),
    /// Print a shell completion script.
    #[command(after_help = help::COMPLETIONS)]
    Completions(CompletionsArgs),
    /// Print the version, the commit and target it was built for, and the formats it reads.
    #[command(after_help = help::VERSION)]
    Version(VersionArgs),
}

/// Where the configuration lives, and the values of its variables.
#[derive(Debug, Clone, Args)]
pub struct ConfigArg {
    /// A configuration file, or a directory whose *.yaml/*.yml files are merged. Repeatable:
    /// each later source overlays the ones before it (an entry with the same kind and name is
    /// patched field by field, `null` removes a field, new entries are added; meta, state,
    /// safety, vars and environment are overridden), e.g. -c base.yaml -c production.yaml.
    #[arg(
        short = 'c',
        long = "config",
        value_name = "PATH",
        default_value = "wacfg.yaml"
    )]
    pub config: Vec<PathBuf>,
    /// Set the variable NAME, used as ${var.NAME} in any string value of the configuration
    /// (repeatable). Beats WACFG_VAR_NAME, which beats the files' `vars:`. Never a secret:
    /// give a token position a reference such as env:WA_TOKEN_PROD instead.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
}

/// Flags for commands that talk to Meta.
#[derive(Debug, Clone, Args)]
pub struct RemoteArgs {
    /// At most this many Graph API requests at once.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallelism: u16,
}

/// Flags for commands that lock the state.
#[derive(Debug, Clone, Args)]
pub struct LockArgs {
    /// How long to wait for the state lock (e.g. 0s, 30s, 5m).
    #[arg(long, value_name = "DURATION", default_value = "0s")]
    pub lock_timeout: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagFormat {
    Human,
    Json,
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Human,
    Json,
    Markdown,
    Github,
}

/// `cli` may depend on `render`, never the other way round: the renderers take their own enum.
impl From<PlanFormat> for crate::render::Format {
    fn from(format: PlanFormat) -> Self {
        match format {
            PlanFormat::Human => Self::Human,
            PlanFormat::Json => Self::Json,
            PlanFormat::Markdown => Self::Markdown,
            PlanFormat::Github => Self::Github,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DataFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiscoverFormat {
    Human,
    Json,
    Yaml,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Directory to scaffold in.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Output format for diagnostics.
    #[arg(long, value_enum, default_value_t = DiagFormat::Human)]
    pub format: DiagFormat,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// Save the plan (JSON, no secrets) for `wacfg apply FILE`.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
    pub format: PlanFormat,
    /// Exit 2 when the plan has changes (0 when empty, 1 on error).
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Only plan these addresses (repeatable), e.g. channel_configuration.Marketing_FR.
    #[arg(long = "target", value_name = "ADDR")]
    pub targets: Vec<String>,
    /// Allow a plan whose deletions and deactivations exceed the safety threshold.
    #[arg(long)]
    pub allow_destructive: bool,
    /// Submit channel configurations that failed their checks again even when nothing they
    /// depend on changed (by default such a configuration stays Failed and the plan says why).
    #[arg(long)]
    pub retry_failed: bool,
    /// Plan only recording what Meta says now in state (accepting the drift `wacfg drift`
    /// reports): no other change. After applying it, `wacfg drift` exits 0.
    #[arg(long, conflicts_with = "retry_failed")]
    pub refresh_only: bool,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A plan saved by `wacfg plan -o FILE`; without it, apply plans first.
    #[arg(value_name = "PLANFILE")]
    pub plan_file: Option<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArg,
    #[command(flatten)]
    pub remote: RemoteArgs,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// Refuse unless the saved plan's digest is exactly this.
    #[arg(long, value_name = "DIGEST")]
    pub expect_digest: Option<String>,
    /// Only apply these addresses (repeatable).
    #[arg(long = "target", value_name = "ADDR")]
    pub targets: Vec<String>,
    /// Allow a plan whose deletions and deactivations exceed the safety threshold.
    #[arg(long)]
    pub allow_destructive: bool,
    /// Submit channel configurations that failed their checks again even when nothing they
    /// depend on changed (by default such a configuration stays Failed and the plan says why).
    #[arg(long)]
    pub retry_failed: bool,
    /// Apply only recording what Meta says now in state (accepting the drift `wacfg drift`
    /// reports): no other change. After applying it, `wacfg drift` exits 0.
    #[arg(long, conflicts_with = "retry_failed")]
    pub refresh_only: bool,
    /// The whole apply's deadline once the lock is held (reading Meta and every change):
    /// after it nothing new is sent, requests in flight end, what was not attempted is
    /// reported so, state is saved, exit 1. Like 30s, 10m, 1h.
    #[arg(long, value_name = "DURATION", default_value = "30m")]
    pub timeout: String,
    /// After the changes, wait for Meta's review of every message template this apply
    /// submitted (polling within the usage budget, progress on stderr) and record each decision.
    /// Alone: until all are decided or --timeout; --wait=DURATION (with `=`): at most that
    /// long. A rejection fails the apply (exit 1); a template still in review when the wait
    /// ends does not (it is listed; `wacfg plan` shows the decision later).
    #[arg(long, value_name = "DURATION", num_args = 0..=1, require_equals = true)]
    pub wait: Option<Option<String>>,
    #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
    pub format: PlanFormat,
}

#[derive(Debug, Args)]
pub struct DriftArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    #[command(flatten)]
    pub remote: RemoteArgs,
    #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
    pub format: PlanFormat,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A saved plan; without it, the current state.
    #[arg(value_name = "PLANFILE")]
    pub plan_file: Option<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArg,
    #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
    pub format: PlanFormat,
}

#[derive(Debug, Args)]
pub struct DiscoverArgs {
    /// The Meta business portfolio (Business Manager) ID — not a WABA ID.
    #[arg(long, value_name = "ID")]
    pub business_id: String,
    /// Where the token is: env:VAR or file:PATH (any path: the operator typed it). The Graph
    /// API URL is Meta's unless --graph-url or WACFG_GRAPH_URL names another.
    #[arg(long, value_name = "REF")]
    pub token: String,
    /// Graph API version.
    #[arg(long, value_name = "VERSION", default_value = "v23.0")]
    pub api_version: String,
    #[command(flatten)]
    pub remote: RemoteArgs,
    #[arg(long, value_enum, default_value_t = DiscoverFormat::Human)]
    pub format: DiscoverFormat,
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// List the resources in the state.
    #[command(after_help = help::STATE_LIST)]
    List(StateListArgs),
    /// Show one resource, or the whole state.
    #[command(after_help = help::STATE_SHOW)]
    Show(StateShowArgs),
    /// Forget a resource for good (nothing is changed at Meta).
    #[command(after_help = help::STATE_RM)]
    Rm(StateRmArgs),
    /// Rename a resource in the state: it keeps its history, version and checks (nothing is
    /// changed at Meta). Rename the entry in the file too, or use `moved:` there instead.
    #[command(after_help = help::STATE_MV)]
    Mv(StateMvArgs),
    /// Print the raw state document.
    #[command(after_help = help::STATE_PULL)]
    Pull(StateConfigArgs),
    /// Replace the state with a file (same lineage, newer serial, unless --force).
    #[command(after_help = help::STATE_PUSH)]
    Push(StatePushArgs),
    /// List the past serials of the state.
    #[command(after_help = help::STATE_HISTORY)]
    History(StateReadArgs),
    /// Clear a lock left by a crashed run.
    #[command(after_help = help::STATE_FORCE_UNLOCK)]
    ForceUnlock(StateUnlockArgs),
    /// Make a kept serial the current state again (PostgreSQL), e.g. after the state was
    /// found inconsistent.
    #[command(long_about = RECOVER_HELP, after_help = help::STATE_RECOVER)]
    Recover(StateRecoverArgs),
}

const IMPORT_HELP: &str = "\
Record an object that already exists, and that the configuration declares, in the state.

`wacfg import credentials.NAME` reads Meta with the entry's token, verifies the token, the \
business portfolio, the WABA and the number (the same steps a plan shows), and records them. \
`wacfg import channel_configuration.NAME` runs the configuration's checks on what Meta says \
now and records it as active, version 1 (its credentials must be in the state already). \
Nothing is written to Meta. Refused when the address is already in the state (`wacfg state \
mv` renames a record) or not declared in the file, and when verification or a check fails: \
nothing is recorded then. `wacfg plan` shows the same adoption as an `import` change.

`wacfg import templates --credentials NAME` adopts the message templates that already exist in \
a WABA, writing their YAML (see `wacfg import templates --help`).";

#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    disable_help_subcommand = true
)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub what: Option<ImportCommand>,
    /// The address to import: credentials.NAME or channel_configuration.NAME.
    #[arg(value_name = "ADDR", required = true)]
    pub address: Option<String>,
    #[command(flatten)]
    pub config: ConfigArg,
    #[command(flatten)]
    pub remote: RemoteArgs,
    #[command(flatten)]
    pub lock: LockArgs,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Adopt the message templates that already exist in a credentials entry's WABA: write
    /// them as YAML and record them in the state.
    #[command(long_about = IMPORT_TEMPLATES_HELP, after_help = help::IMPORT_TEMPLATES)]
    Templates(ImportTemplatesArgs),
}

const IMPORT_TEMPLATES_HELP: &str = "\
Adopt the message templates that already exist in a credentials entry's WABA.

Reads every template of the WABA (every page, every language) with the entry's token, writes \
them as a `message_templates:` YAML list that passes `wacfg validate` with the configuration \
(names in order, languages in code order, Meta's status of each language as a comment), then \
records them in the state as managed, so the next `wacfg plan` shows no change for them. \
Nothing is written to Meta. The YAML goes to stdout, or with --out to a new file: keep it as \
a configuration source (in a -c directory, or one more -c FILE) or move its entries into the \
configuration before the next plan, since a recorded template missing from the configuration \
is planned for deletion. The YAML is written before anything is recorded.

Adoption is explicit: a template at Meta that wacfg has not recorded is never changed or \
deleted by a plan. A template already in the state is left as recorded; one the \
configuration already declares is recorded as Meta has it (not written again; only the \
languages the configuration declares, the others stay unmanaged), and the next plan shows any \
difference as an edit. A template wacfg cannot write as it is at Meta (a \
component, header format, button or field its file model lacks, languages that disagree on \
the category, a template being deleted) is not adopted: it is named with the reason on \
stderr and in the YAML, and stays unmanaged. Meta does not say how many edits an APPROVED \
template has spent: an adopted template starts with none recorded. The credentials must be in \
the state already (`wacfg import credentials.NAME`).";

#[derive(Debug, Args)]
pub struct ImportTemplatesArgs {
    /// The credentials entry whose WABA's templates are adopted; its token reads them.
    #[arg(long, value_name = "NAME")]
    pub credentials: String,
    /// Only templates whose name matches GLOB (`*` any characters, `?` one), e.g. 'order_*'.
    #[arg(long, value_name = "GLOB")]
    pub name: Option<String>,
    /// Write the YAML to FILE, a new file (refused when it exists), instead of stdout.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArg,
    #[command(flatten)]
    pub remote: RemoteArgs,
    #[command(flatten)]
    pub lock: LockArgs,
}

const STATE_HELP: &str = "\
Inspect and edit the state.

Where it lives is the configuration's `state:` block. On PostgreSQL the connection string (an \
env: or file: secret) also sets TLS, with libpq's meanings: sslmode=disable, prefer (the \
default: TLS when the server offers it, unverified), require (always encrypted, unverified), \
verify-ca (the chain up to a trusted root) or verify-full (chain and host name), and \
sslrootcert=PATH, the PEM roots to trust (default: the public Mozilla roots). A workspace whose \
tables disagree is refused with the `wacfg state recover` command that fixes it.";

const RECOVER_HELP: &str = "\
Make a kept serial the current state again (PostgreSQL workspaces).

wacfg refuses to read or write a workspace whose rows disagree (the current-state row missing \
while history exists, a current serial missing from the history, history above the current \
serial, lineages that differ) and names the command to run. `recover` copies the chosen \
serial's document, verified, into a new serial above every one recorded and points the state \
at it: the history stays insert-only and serials never go backwards. It also rolls a \
consistent workspace back to an earlier serial. Nothing is changed at Meta; run `wacfg plan` \
afterwards to see what differs.

`wacfg state history` lists the serials kept. The local store keeps only its previous \
version (`wacfg.state.json.backup`): restore that with cp.";

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["to_serial", "latest"])))]
pub struct StateRecoverArgs {
    /// Copy this serial (see `wacfg state history`).
    #[arg(long, value_name = "N")]
    pub to_serial: Option<u64>,
    /// Copy the newest serial kept in the history.
    #[arg(long)]
    pub latest: bool,
    #[command(flatten)]
    pub config: ConfigArg,
    #[command(flatten)]
    pub lock: LockArgs,
}

#[derive(Debug, Args)]
pub struct StateConfigArgs {
    #[command(flatten)]
    pub config: ConfigArg,
}

#[derive(Debug, Args)]
pub struct StateListArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    #[arg(long, value_enum, default_value_t = DataFormat::Human)]
    pub format: DataFormat,
    /// Print only the addresses, one per line, no header (for scripts; the shell completion
    /// of `--target` uses it).
    #[arg(long, conflicts_with = "format")]
    pub addresses: bool,
}

#[derive(Debug, Args)]
pub struct StateReadArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    #[arg(long, value_enum, default_value_t = DataFormat::Human)]
    pub format: DataFormat,
}

#[derive(Debug, Args)]
pub struct StateShowArgs {
    /// A resource address, e.g. channel_configuration.Marketing_FR.
    #[arg(value_name = "ADDR")]
    pub address: Option<String>,
    #[command(flatten)]
    pub config: ConfigArg,
    #[arg(long, value_enum, default_value_t = DataFormat::Human)]
    pub format: DataFormat,
    /// Show a past serial instead of the current state (`wacfg state history` lists them).
    #[arg(long, value_name = "N")]
    pub serial: Option<u64>,
}

#[derive(Debug, Args)]
pub struct StateMvArgs {
    /// The address in state now, e.g. channel_configuration.Marketing_Old.
    #[arg(value_name = "FROM")]
    pub from: String,
    /// The new address, of the same kind, not in state yet.
    #[arg(value_name = "TO")]
    pub to: String,
    #[command(flatten)]
    pub config: ConfigArg,
    #[command(flatten)]
    pub lock: LockArgs,
}

#[derive(Debug, Args)]
pub struct StateRmArgs {
    /// The resource to forget, e.g. channel_configuration.Marketing_FR (see `wacfg state list`).
    #[arg(value_name = "ADDR")]
    pub address: String,
    #[command(flatten)]
    pub config: ConfigArg,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct StatePushArgs {
    /// A state document, e.g. one saved with `wacfg state pull > FILE`.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub config: ConfigArg,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Push even if the lineage differs or the serial is older.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct StateUnlockArgs {
    /// The lock's id, as the error of the run refused by the lock names it.
    #[arg(value_name = "LOCK_ID")]
    pub lock_id: String,
    #[command(flatten)]
    pub config: ConfigArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    Config,
    Plan,
    State,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which document: config (wacfg.yaml), plan (`plan -o FILE`) or state.
    #[arg(value_enum, default_value_t = SchemaKind::Config)]
    pub kind: SchemaKind,
    /// Write the schema to PATH instead of printing it (default `.wacfg/schema.json`, the
    /// file the modeline `wacfg init` writes points at). Run it after upgrading wacfg so
    /// editors complete and check the new fields, offline.
    #[arg(
        long,
        value_name = "PATH",
        num_args = 0..=1,
        default_missing_value = crate::command::schema::EDITOR_SCHEMA_PATH
    )]
    pub write: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to print the script for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct FmtArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Change nothing: list the files that would change and exit 1 if any would.
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Args)]
pub struct VersionArgs {
    #[arg(long, value_enum, default_value_t = DataFormat::Human)]
    pub format: DataFormat,
}
