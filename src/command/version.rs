//! `wacfg version [--format json]`: the version, the commit it was built from when known,
//! the target it was built for, and the formats it reads and writes.

use serde::Serialize;

use super::{CommandResult, Outcome};
use crate::cli::{DataFormat, VersionArgs};

/// What `wacfg version` reports.
#[derive(Debug, Serialize)]
pub struct VersionInfo {
    pub version: &'static str,
    /// `None` when built outside a git checkout without `WACFG_BUILD_COMMIT`.
    pub commit: Option<&'static str>,
    pub target: &'static str,
    /// The configuration file's `version:`.
    pub config_version: u32,
    /// The saved plan's `format_version` it writes (it applies plans of the same major).
    pub plan_format: &'static str,
    /// The state `format_version` it writes, and every one it reads (older ones upgraded).
    pub state_format: u32,
    pub state_formats_read: Vec<u32>,
}

pub fn info() -> VersionInfo {
    VersionInfo {
        version: env!("CARGO_PKG_VERSION"),
        commit: option_env!("WACFG_COMMIT"),
        target: env!("WACFG_TARGET"),
        config_version: 1,
        plan_format: crate::plan::PLAN_FORMAT_VERSION,
        state_format: crate::state::FORMAT_VERSION,
        state_formats_read: (1..=crate::state::FORMAT_VERSION).collect(),
    }
}

pub fn run(args: VersionArgs) -> CommandResult {
    let info = info();
    match args.format {
        DataFormat::Json => {
            // Plain data: serialising cannot fail.
            outln!(
                "{}",
                serde_json::to_string_pretty(&info).unwrap_or_default()
            );
        }
        DataFormat::Human => {
            let formats: Vec<String> = info.state_formats_read.iter().map(u32::to_string).collect();
            outln!("wacfg {}", info.version);
            outln!("commit: {}", info.commit.unwrap_or("unknown"));
            outln!("target: {}", info.target);
            outln!("configuration version: {}", info.config_version);
            outln!("plan format: {}", info.plan_format);
            outln!(
                "state format: {} (reads {})",
                info.state_format,
                formats.join(", ")
            );
        }
    }
    Ok(Outcome::Success)
}
