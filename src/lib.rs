//! wacfg: WhatsApp channel configuration as code.
//!
//! The data flow, as in ARCHITECTURE.md:
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
//! Each resource kind (credentials, webhook, channel configuration) lives in `kinds/<kind>/`
//! behind one seam; validate, plan, apply, state and render loop over the registered kinds.
//! `model` and `diag` depend on nothing; `command` is the only module that wires I/O together.

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
    let cli = cli::Cli::parse();
    command::dispatch(cli).exit_code()
}
