//! `wacfg validate`: load and validate the configuration offline, print the diagnostics in
//! the chosen format and a one-line summary. Exit 0 when valid (warnings allowed), 1 otherwise.

use std::io::{IsTerminal, Write};

use super::{CommandResult, Outcome, use_color};
use crate::cli::{DiagFormat, ValidateArgs};
use crate::config::read_sources;
use crate::kinds::Desired;
use crate::render::diagnostics::{counts, github, human, json};

pub fn run(args: ValidateArgs, no_color: bool) -> CommandResult {
    let validation = super::ConfigSources::new(&args.config)?.validate();
    let valid = validation.desired.is_some();
    match args.format {
        DiagFormat::Human => {
            let color = use_color(no_color, std::io::stderr().is_terminal());
            // Snippets need the text again only when there is something to show.
            let sources = if validation.diagnostics.is_empty() {
                Default::default()
            } else {
                read_sources(&validation.files)
            };
            let mut err = std::io::stderr().lock();
            write!(err, "{}", human(&validation.diagnostics, &sources, color))?;
            match &validation.desired {
                Some(desired) => outln!("{}", summary(desired, &counts(&validation.diagnostics))),
                None => writeln!(
                    err,
                    "error: the configuration is invalid ({})",
                    counts(&validation.diagnostics)
                )?,
            }
        }
        DiagFormat::Json => out!("{}", json(&validation.diagnostics)),
        DiagFormat::Github => {
            out!("{}", github(&validation.diagnostics));
            if let Some(desired) = &validation.desired {
                outln!("{}", summary(desired, &counts(&validation.diagnostics)));
            }
        }
    }
    Ok(if valid {
        Outcome::Success
    } else {
        Outcome::Failed
    })
}

/// "2 credentials entries, 1 webhook, 14 channel configurations: valid" (plus the warning count, if
/// any): every registered kind the file declares, in registry order.
pub fn summary(desired: &Desired, counts: &str) -> String {
    let parts: Vec<String> = crate::kinds::KINDS
        .iter()
        .map(|kind| (kind.declared(desired).len(), kind.noun()))
        .filter(|(n, _)| *n > 0)
        .map(|(n, (one, many))| format!("{n} {}", if n == 1 { one } else { many }))
        .collect();
    let what = if parts.is_empty() {
        "no resources".to_string()
    } else {
        parts.join(", ")
    };
    let mut line = match &desired.environment {
        Some(environment) => format!("environment `{environment}`: {what}: valid"),
        None => format!("{what}: valid"),
    };
    if !counts.is_empty() {
        line.push_str(&format!(" ({counts})"));
    }
    line
}
