//! wacfg: WhatsApp channel configuration as code.
//!
//! The data flow, as in `docs/architecture.md` (which also has the layer table that
//! `tests/architecture.rs` enforces):
//!
//! ```text
//! file(s) --config--> tree+spans --validate--> Desired
//! Meta    --remote--> Observed
//! store   --state---> Recorded {lineage, serial}
//! plan(Desired, Observed, Recorded) -> Plan      (pure)
//! Plan --render--> human | json | markdown | github;  Plan --save--> plan file
//! apply: lock -> re-read Recorded -> each change in order: remote call / checks -> write state
//! ```
//!
//! Each resource kind (credentials, webhook, channel configuration, message template) lives in
//! `kinds/<kind>/` behind one seam; validate, plan, apply, state and render loop over the
//! registered kinds.
//! `model` and `diag` depend on nothing; `command` is the only module that wires I/O together.

/// `print!` that never panics: a reader that went away (`wacfg schema | head`) is not
/// wacfg's error. The rest of the output is dropped; the exit code still says what happened.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `println!` that never panics, as [`out!`].
macro_rules! outln {
    () => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock());
    }};
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

pub mod apply;
pub mod cli;
pub mod command;
pub mod config;
pub mod diag;
pub mod fmt;
pub mod kinds;
pub mod model;
pub mod plan;
pub mod remote;
pub mod render;
pub mod rules;
pub mod state;
pub mod validate;

use std::process::ExitCode;

use clap::Parser;

/// Parse the command line and run it; the binary's whole `main`.
pub fn run() -> ExitCode {
    match cli::Cli::try_parse() {
        Ok(cli) => command::dispatch(cli).exit_code(),
        Err(err) => usage_error(&err),
    }
}

/// clap's own message, on stdout for `--help`/`--version` (exit 0) and on stderr for a usage
/// error (an unknown flag, a missing argument), which exits 1 and never clap's default 2:
/// 2 means "changes present" under `plan --detailed-exitcode` and "drift present" for `drift`.
fn usage_error(err: &clap::Error) -> ExitCode {
    // Printing can only fail on a closed stream; the exit code still says what happened.
    let _ = err.print();
    if err.use_stderr() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
