//! Drift: what changed at Meta since the last apply (Observed vs Recorded). The section of
//! the plan that lists it, and the whole output of `wacfg drift` in every format. Drift is
//! only reported here; nothing in this module suggests it is applied.

use serde::Serialize;

use super::Format;
use super::painter::Painter;
use super::plan_attrs::show;
use super::plan_github::annotation;
use super::plan_markdown::{escape_cell, inline_code};
use crate::plan::{Drift, PLAN_FORMAT_VERSION};

/// The line `wacfg drift` prints when there is none.
pub const NO_DRIFT: &str = "No drift: Meta matches the state.";
/// First line of the markdown drift report, so CI can update one comment in place.
pub const DRIFT_MARKER: &str = "<!-- wacfg-drift -->";

/// The output of `wacfg drift`.
pub fn render_drift(drift: &[Drift], format: Format, color: bool) -> String {
    match format {
        Format::Human => human(drift, &Painter::new(color)),
        Format::Json => json(drift),
        Format::Markdown => markdown(drift),
        Format::Github => {
            let mut out: String = drift
                .iter()
                .map(|d| {
                    let title = format!("Drift: {}", d.address);
                    annotation("warning", &[("title", title)], &drift_sentence(d))
                })
                .collect();
            out.push_str(&human(drift, &Painter::new(color)));
            out
        }
    }
}

fn human(drift: &[Drift], p: &Painter) -> String {
    if drift.is_empty() {
        return format!("{NO_DRIFT}\n");
    }
    let mut out = drift_section(drift, p);
    let noun = if drift.len() == 1 {
        "attribute"
    } else {
        "attributes"
    };
    out.push_str(&format!(
        "\nDrift: {} {noun} changed at Meta since the last apply. wacfg reports drift and \
         never applies it by itself.\n",
        drift.len()
    ));
    out
}

/// The plan's "Objects changed outside wacfg" section: drift grouped by address.
pub fn drift_section(drift: &[Drift], p: &Painter) -> String {
    let mut out = p.bold("Objects changed outside wacfg since the last apply:");
    out.push_str("\n\n");
    let mut start = 0;
    while start < drift.len() {
        let address = &drift[start].address;
        let end = start
            + drift[start..]
                .iter()
                .take_while(|d| &d.address == address)
                .count();
        if start > 0 {
            out.push('\n');
        }
        out.push_str(&group(&drift[start..end], p));
        start = end;
    }
    out
}

fn group(items: &[Drift], p: &Painter) -> String {
    let width = items.iter().map(|d| d.attribute.len()).max().unwrap_or(0);
    let mut out = p.bold(&format!("  # {} changed at Meta", items[0].address));
    out.push('\n');
    for d in items {
        out.push_str(&format!(
            "      {} {:<width$} = {} -> {}\n",
            p.yellow("~"),
            d.attribute,
            show(&d.recorded),
            show(&d.observed)
        ));
        if !d.message.is_empty() {
            out.push_str(&p.dim(&format!("        # {}", d.message)));
            out.push('\n');
        }
    }
    out
}

/// One drift item as a sentence (annotations, markdown lists).
pub fn drift_sentence(d: &Drift) -> String {
    let change = format!(
        "{}.{} changed from {} to {}",
        d.address,
        d.attribute,
        show(&d.recorded),
        show(&d.observed)
    );
    if d.message.is_empty() {
        change
    } else {
        format!("{change}: {}", d.message)
    }
}

#[derive(Serialize)]
struct DriftDocument<'a> {
    format_version: &'a str,
    resource_drift: &'a [Drift],
}

fn json(drift: &[Drift]) -> String {
    let doc = DriftDocument {
        format_version: PLAN_FORMAT_VERSION,
        resource_drift: drift,
    };
    // Serialising plain data with string keys cannot fail.
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

fn markdown(drift: &[Drift]) -> String {
    let mut out = format!("{DRIFT_MARKER}\n### wacfg drift\n\n");
    if drift.is_empty() {
        out.push_str(NO_DRIFT);
        out.push('\n');
        return out;
    }
    out.push_str(&drift_table(drift));
    out
}

/// A markdown table of drift items, shared with the markdown plan.
pub fn drift_table(drift: &[Drift]) -> String {
    let mut out = String::from(
        "| Resource | Attribute | Recorded | At Meta | Note |\n|---|---|---|---|---|\n",
    );
    for d in drift {
        out.push_str(&drift_row(d));
    }
    out
}

/// One table row, ending in a newline.
pub fn drift_row(d: &Drift) -> String {
    format!(
        "| {} | {} | {} | {} | {} |\n",
        inline_code(&d.address.to_string()),
        inline_code(&d.attribute),
        inline_code(&show(&d.recorded)),
        inline_code(&show(&d.observed)),
        escape_cell(&d.message)
    )
}
