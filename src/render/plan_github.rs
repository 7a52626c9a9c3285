//! The `github` format: GitHub Actions workflow commands (`::error …::` / `::warning …::`)
//! for every diagnostic, every check the plan expects to fail or warn, and every drift item,
//! so they show as annotations on the run and the pull request; then the human plan for the
//! log. The escaping follows GitHub's workflow-command rules.

use super::drift::drift_sentence;
use super::plan_human;
use super::plan_notices::{Notice, notices};
use crate::diag::Severity;
use crate::plan::Plan;

/// Annotations, then the human plan.
pub fn render(plan: &Plan, color: bool) -> String {
    let mut out: String = notices(plan).iter().map(notice_annotation).collect();
    for d in &plan.resource_drift {
        let title = format!("Drift: {}", d.address);
        out.push_str(&annotation(
            "warning",
            &[("title", title)],
            &drift_sentence(d),
        ));
    }
    out.push_str(&plan_human::render(plan, color));
    out
}

/// One notice as a workflow command, pointing at its file and line when it has them.
pub fn notice_annotation(notice: &Notice) -> String {
    let kind = match notice.severity {
        Severity::Warning => "warning",
        Severity::Error => "error",
    };
    let mut props = Vec::new();
    if let Some((file, line, col)) = &notice.file {
        props.push(("file", file.clone()));
        if *line > 0 {
            props.push(("line", line.to_string()));
            props.push(("col", col.to_string()));
        }
    }
    props.push(("title", notice.code.clone()));
    let mut message = notice.title.clone();
    if let (None, Some(location)) = (&notice.file, &notice.location) {
        message.push_str(&format!("\nat {location}"));
    }
    for line in &notice.detail {
        message.push('\n');
        message.push_str(line);
    }
    annotation(kind, &props, &message)
}

/// `::kind key=value,…::message` with both parts escaped, ending in a newline.
pub fn annotation(kind: &str, props: &[(&str, String)], message: &str) -> String {
    let props: Vec<String> = props
        .iter()
        .map(|(k, v)| format!("{k}={}", escape_property(v)))
        .collect();
    let sep = if props.is_empty() { "" } else { " " };
    format!(
        "::{kind}{sep}{}::{}\n",
        props.join(","),
        escape_data(message)
    )
}

/// Escape a command's message: `%`, CR and LF.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value: as data, plus `:` and `,`.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotation_escapes_newlines_colons_and_commas() {
        let line = annotation(
            "error",
            &[("file", "a,b:c.yaml".to_string())],
            "50% done\nnext",
        );
        assert_eq!(line, "::error file=a%2Cb%3Ac.yaml::50%25 done%0Anext\n");
    }
}
