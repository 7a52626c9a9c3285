//! One file per verb: the only place that wires configuration, remote, state, planner and
//! renderer together. Every verb returns an [`Outcome`] or a [`CommandError`]; the mapping to
//! exit codes lives here alone.

pub mod adapters;
pub mod apply;
pub mod completions;
pub mod discover;
pub mod drift;
pub mod format;
pub mod import;
pub mod import_templates;
pub mod init;
mod media;
pub mod pipeline;
pub mod plan;
pub mod progress;
pub mod schema;
pub mod show;
pub mod state;
pub mod validate;
pub mod version;

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::model::SecretAccess;

/// The environment variable listing more directories `file:` secrets may be read from
/// (colon-separated, like PATH), besides the configuration's own.
pub const SECRET_DIRS_ENV: &str = "WACFG_SECRET_DIRS";

/// What the operator (flags and environment, never the configuration file) allows: another
/// Graph endpoint, more secret directories.
#[derive(Debug, Clone, Default)]
pub struct Operator {
    /// `--graph-url`; `WACFG_GRAPH_URL` is read where the client is configured.
    pub graph_url: Option<String>,
    /// `--secret-dir` (repeatable), then `WACFG_SECRET_DIRS`.
    pub secret_dirs: Vec<PathBuf>,
}

impl Operator {
    fn from_cli(cli: &Cli) -> Self {
        let mut secret_dirs = cli.secret_dirs.clone();
        if let Some(list) = std::env::var_os(SECRET_DIRS_ENV) {
            secret_dirs.extend(std::env::split_paths(&list).filter(|p| !p.as_os_str().is_empty()));
        }
        Self {
            graph_url: cli.graph_url.clone(),
            secret_dirs,
        }
    }

    /// Where the configuration may read `file:` secrets: the directory tree of each `-c`
    /// source (a file's folder, or the directory itself) and the operator's directories.
    pub fn secret_access(&self, config: &ConfigSources) -> SecretAccess {
        let mut allowed: Vec<PathBuf> =
            config.paths.iter().skip(1).map(|p| config_dir(p)).collect();
        allowed.extend(self.secret_dirs.iter().cloned());
        SecretAccess::within(&config_dir(config.primary()), &allowed)
    }
}

/// The configuration a command reads: every `-c` source in order, and the variables the
/// operator set (`--var`, then `WACFG_VAR_*` read here, at the edge).
#[derive(Debug, Clone)]
pub struct ConfigSources {
    pub paths: Vec<PathBuf>,
    pub vars: crate::config::OperatorVars,
}

impl ConfigSources {
    pub fn new(arg: &crate::cli::ConfigArg) -> Result<Self, CommandError> {
        let env = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
        let vars = crate::config::OperatorVars::new(arg.vars.iter().map(String::as_str), env)
            .map_err(CommandError::new)?;
        Ok(Self {
            paths: arg.config.clone(),
            vars,
        })
    }

    /// One path and no operator variables (benchmarks and tests).
    pub fn single(path: impl Into<PathBuf>) -> Self {
        Self {
            paths: vec![path.into()],
            vars: crate::config::OperatorVars::default(),
        }
    }

    /// The first source: relative paths in the configuration are resolved against its
    /// directory, and the local state is looked for there first.
    pub fn primary(&self) -> &Path {
        self.paths
            .first()
            .map_or(Path::new("wacfg.yaml"), PathBuf::as_path)
    }

    /// Load and validate every source, later ones overlaying earlier ones.
    pub fn validate(&self) -> crate::validate::Validation {
        crate::validate::validate_sources(&self.paths, &self.vars)
    }

    /// How messages name the configuration: `wacfg.yaml`, `base.yaml + prod.yaml`.
    pub fn describe(&self) -> String {
        let names: Vec<String> = self.paths.iter().map(|p| p.display().to_string()).collect();
        names.join(" + ")
    }
}

/// The directory a configuration path names: itself when a directory, else its parent.
pub fn config_dir(config: &Path) -> PathBuf {
    if config.is_dir() {
        config.to_path_buf()
    } else {
        match config.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }
}

/// How a command ended, when it ran to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Success, or nothing to do: exit 0.
    Success,
    /// `plan --detailed-exitcode` with changes, or `drift` with drift: exit 2.
    Changes,
    /// The command ran but something it did failed (invalid config, failed checks): exit 1.
    /// The command has already printed why.
    Failed,
    /// Interrupted by Ctrl-C after saving what was done: exit 130.
    Interrupted,
}

/// An operational failure: printed once as `error: …` with its cause chain, exit 1.
#[derive(Debug)]
pub struct CommandError {
    pub message: String,
}

impl CommandError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl<E: std::error::Error> From<E> for CommandError {
    fn from(err: E) -> Self {
        // Keep the whole cause chain: the outermost message says what failed, the inner ones why.
        let mut message = err.to_string();
        let mut source = err.source();
        while let Some(cause) = source {
            let text = cause.to_string();
            if !message.contains(&text) {
                message.push_str(": ");
                message.push_str(&text);
            }
            source = cause.source();
        }
        Self { message }
    }
}

pub type CommandResult = Result<Outcome, CommandError>;

/// The result of running one command, ready to become an exit code.
pub struct Finished(CommandResult);

impl Finished {
    pub fn exit_code(self) -> ExitCode {
        match self.0 {
            Ok(Outcome::Success) => ExitCode::SUCCESS,
            Ok(Outcome::Changes) => ExitCode::from(2),
            Ok(Outcome::Failed) => ExitCode::FAILURE,
            Ok(Outcome::Interrupted) => ExitCode::from(130),
            Err(err) => {
                eprintln!("error: {err}");
                ExitCode::FAILURE
            }
        }
    }
}

/// Whether colour may be used on a stream: never with `--no-color` or NO_COLOR, only on a TTY.
pub fn use_color(no_color_flag: bool, is_tty: bool) -> bool {
    !no_color_flag && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && is_tty
}

pub fn dispatch(cli: Cli) -> Finished {
    let no_color = cli.no_color;
    let operator = Operator::from_cli(&cli);
    Finished(match cli.command {
        Command::Init(args) => init::run(args),
        Command::Validate(args) => validate::run(args, no_color),
        Command::Plan(args) => plan::run(args, no_color, &operator),
        Command::Apply(args) => apply::run(args, no_color, &operator),
        Command::Drift(args) => drift::run(args, no_color, &operator),
        Command::Import(crate::cli::ImportArgs {
            what: Some(crate::cli::ImportCommand::Templates(args)),
            ..
        }) => import_templates::run(args, no_color, &operator),
        Command::Import(args) => import::run(args, no_color, &operator),
        Command::Show(args) => show::run(args, no_color, &operator),
        Command::Discover(args) => discover::run(args, no_color, &operator),
        Command::State(cmd) => state::run(cmd, no_color, &operator),
        Command::Schema(args) => schema::run(args),
        Command::Completions(args) => completions::run(args),
        Command::Fmt(args) => format::run(args),
        Command::Version(args) => version::run(args),
    })
}
