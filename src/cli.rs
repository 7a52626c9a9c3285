//! The command line as clap types, and nothing else: no validation beyond what clap does,
//! no I/O. `command/` turns these raw flags into work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The exit codes, shown under `wacfg --help` (README.md has the same table).
const EXIT_CODES: &str = "Exit codes:
  0    success, or nothing to do
  1    any error: invalid configuration, Graph API error, lock held, stale plan, safety
       refusal, failed checks, apply stopped early, or a usage error (unknown flag, missing
       argument)
  2    plan --detailed-exitcode: there are changes; drift: there is drift
  130  apply interrupted by Ctrl-C";

/// WhatsApp channel configuration as code: validate, plan and apply.
#[derive(Debug, Parser)]
#[command(name = "wacfg", version, about, long_about = None, after_help = EXIT_CODES)]
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

    /// Also allow `file:` secrets (tokens, verify tokens, the PostgreSQL URL) under DIR
    /// (repeatable; WACFG_SECRET_DIRS adds a colon-separated list). Without it, a `file:`
    /// reference must resolve, symlinks and `..` followed, inside the configuration's
    /// directory. Secret files are regular files of at most 64 KiB.
    #[arg(long = "secret-dir", global = true, value_name = "DIR")]
    pub secret_dirs: Vec<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scaffold wacfg.yaml (schema modeline, commented example) and a .gitignore.
    Init(InitArgs),
    /// Check the configuration offline: schema, naming rules, references. No token, no network.
    Validate(ValidateArgs),
    /// Read Meta and the state, and print what apply would change.
    Plan(PlanArgs),
    /// Apply a saved plan, or plan and ask for confirmation.
    Apply(ApplyArgs),
    /// Refresh only: report what changed at Meta since the last apply.
    Drift(DriftArgs),
    /// Show a saved plan, or the current state.
    Show(ShowArgs),
    /// List a business portfolio's WABAs and numbers, and print ready-to-paste credentials YAML.
    Discover(DiscoverArgs),
    /// Inspect and edit the state.
    #[command(subcommand, long_about = STATE_HELP)]
    State(StateCommand),
    /// Print a JSON Schema: the configuration file (default), a plan or the state.
    Schema(SchemaArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
}

/// Where the configuration lives.
#[derive(Debug, Clone, Args)]
pub struct ConfigArg {
    /// A configuration file, or a directory whose *.yaml/*.yml files are merged.
    #[arg(
        short = 'c',
        long = "config",
        value_name = "PATH",
        default_value = "wacfg.yaml"
    )]
    pub config: PathBuf,
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
    /// The whole apply's deadline once the lock is held (reading Meta and every change):
    /// after it nothing new is sent, requests in flight end, what was not attempted is
    /// reported so, state is saved, exit 1. Like 30s, 10m, 1h.
    #[arg(long, value_name = "DURATION", default_value = "30m")]
    pub timeout: String,
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
    List(StateReadArgs),
    /// Show one resource, or the whole state.
    Show(StateShowArgs),
    /// Forget a resource for good (nothing is changed at Meta).
    Rm(StateRmArgs),
    /// Print the raw state document.
    Pull(StateConfigArgs),
    /// Replace the state with a file (same lineage, newer serial, unless --force).
    Push(StatePushArgs),
    /// List the past serials of the state.
    History(StateReadArgs),
    /// Clear a lock left by a crashed run.
    ForceUnlock(StateUnlockArgs),
    /// Make a kept serial the current state again (PostgreSQL), e.g. after the state was
    /// found inconsistent.
    #[command(long_about = RECOVER_HELP)]
    Recover(StateRecoverArgs),
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
}

#[derive(Debug, Args)]
pub struct StateRmArgs {
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
    #[arg(value_enum, default_value_t = SchemaKind::Config)]
    pub kind: SchemaKind,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}
