//! The CI recipes users copy (`examples/ci/`): what `.ci/run`'s linters cannot see. The
//! linters check the files are valid GitHub Actions and GitLab CI; these tests check the
//! promises the recipes make: apply pins a digest a person saw (never one read from the plan
//! artifact it applies), the merge request note is posted also when the configuration is
//! invalid, note lists are paged, and every shell script parses. The GitLab job a person runs
//! by hand is also run here under bash with a stand-in `wacfg`, to show what it passes on.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn recipe(name: &str) -> (PathBuf, Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/ci")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("read the recipe");
    let value: Value = serde_saphyr::from_str(&text).expect("the recipe is YAML");
    (path, value)
}

/// Every shell script of a GitLab job: `before_script` and `script` lines, in order.
fn gitlab_scripts(ci: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (job, body) in ci.as_object().expect("a mapping of jobs") {
        for key in ["before_script", "script"] {
            if let Some(lines) = body.get(key).and_then(Value::as_array) {
                let text: Vec<&str> = lines.iter().filter_map(Value::as_str).collect();
                out.push((format!("{job}.{key}"), text.join("\n")));
            }
        }
    }
    out
}

/// Every `run:` block of every GitHub job step.
fn github_scripts(workflow: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (job, body) in workflow["jobs"].as_object().expect("jobs") {
        for (i, step) in body["steps"].as_array().expect("steps").iter().enumerate() {
            if let Some(run) = step.get("run").and_then(Value::as_str) {
                out.push((format!("{job}.steps[{i}]"), run.to_string()));
            }
        }
    }
    out
}

/// The argument given to each `--expect-digest` in a script.
fn expect_digest_arguments(script: &str) -> Vec<String> {
    script
        .split("--expect-digest")
        .skip(1)
        .map(|rest| {
            let rest = rest.trim_start();
            // The argument runs to the next space outside quotes; the recipes quote it.
            let mut arg = String::new();
            let mut depth = 0i32;
            for c in rest.chars() {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    ' ' | '\n' if depth == 0 => break,
                    _ => {}
                }
                arg.push(c);
            }
            arg
        })
        .collect()
}

fn all_scripts() -> Vec<(String, String)> {
    let (_, gitlab) = recipe("gitlab-ci.yml");
    let (_, github) = recipe("github-actions.yml");
    let mut scripts: Vec<(String, String)> = gitlab_scripts(&gitlab)
        .into_iter()
        .map(|(n, s)| (format!("gitlab-ci.yml {n}"), s))
        .collect();
    scripts.extend(
        github_scripts(&github)
            .into_iter()
            .map(|(n, s)| (format!("github-actions.yml {n}"), s)),
    );
    scripts
}

#[test]
fn apply_pins_a_digest_a_person_saw_never_one_read_from_the_plan_it_applies() {
    let mut seen = 0;
    for (name, script) in all_scripts() {
        for arg in expect_digest_arguments(&script) {
            seen += 1;
            assert!(
                arg == "\"$DIGEST\"" || arg == "\"$WACFG_REVIEWED_DIGEST\"",
                "{name}: --expect-digest {arg} must be a digest from the reviewed comment or \
                 given by the person who read the plan, not computed in the job"
            );
        }
        assert!(
            !(script.contains("--expect-digest") && script.contains(".digests.plan")),
            "{name} reads the digest from the plan file it applies"
        );
    }
    // Two apply jobs per recipe: at merge and after a stale plan.
    assert_eq!(seen, 4, "every apply job pins a digest");
}

#[test]
fn the_gitlab_note_is_posted_also_when_the_configuration_is_invalid() {
    let (_, ci) = recipe("gitlab-ci.yml");
    let plan = &ci["plan"];
    // The plan job posts the note. In a later stage than a job that fails on an invalid
    // configuration, GitLab would skip it unless it needs nothing before it.
    let stages: Vec<&str> = ci["stages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let stage_of = |job: &Value| {
        let s = job["stage"].as_str().unwrap_or("test");
        stages.iter().position(|x| *x == s)
    };
    let earlier_jobs: Vec<&String> = ci
        .as_object()
        .unwrap()
        .iter()
        .filter(|(name, job)| {
            // Jobs are the mappings with a script (not `variables`, `stages`, templates).
            !name.starts_with('.') && job.get("script").is_some() && stage_of(job) < stage_of(plan)
        })
        .map(|(name, _)| name)
        .collect();
    if !earlier_jobs.is_empty() {
        assert_eq!(
            plan.get("needs"),
            Some(&Value::Array(vec![])),
            "the plan job would be skipped when {earlier_jobs:?} fail: give it `needs: []`"
        );
    }
    let script = gitlab_scripts(&ci)
        .into_iter()
        .find(|(n, _)| n == "plan.script")
        .unwrap()
        .1;
    assert!(script.contains("the configuration is invalid"));
}

#[test]
fn gitlab_note_lists_are_read_page_by_page() {
    for (name, script) in gitlab_scripts(&recipe("gitlab-ci.yml").1) {
        for (i, _) in script.match_indices("/notes") {
            let line_end = script[i..].find('\n').map_or(script.len(), |e| i + e);
            let line = &script[i..line_end];
            assert!(
                !line.contains("per_page="),
                "{name}: a single page of notes is read ({line}); use the paging helper"
            );
        }
        if script.contains("notes \"") {
            assert!(script.contains("page=$page"), "{name}: the helper pages");
        }
    }
}

#[test]
fn every_recipe_script_parses_as_bash() {
    // GitHub's `${{ … }}` expressions are replaced before the shell sees the script.
    let expression = regex::Regex::new(r"\$\{\{[^}]*\}\}").unwrap();
    for (name, script) in all_scripts() {
        let script = expression.replace_all(&script, "X");
        let out = Command::new("bash")
            .args(["-n", "-c", &script])
            .output()
            .expect("bash runs");
        assert!(
            out.status.success(),
            "{name} does not parse: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Runs GitLab's `apply-reviewed-main` script with a stand-in `wacfg` that records its
/// arguments.
fn run_apply_reviewed_main(digest: Option<&str>) -> (bool, String, String) {
    let (_, ci) = recipe("gitlab-ci.yml");
    let script = gitlab_scripts(&ci)
        .into_iter()
        .find(|(n, _)| n == "apply-reviewed-main.script")
        .expect("the manual apply job")
        .1;
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let fake = bin.join("wacfg");
    std::fs::write(&fake, "#!/bin/sh\necho \"$@\" > \"$ARGS_FILE\"\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let args_file = dir.path().join("args");
    let mut cmd = Command::new("bash");
    cmd.args(["-e", "-c", &script])
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .env("ARGS_FILE", &args_file)
        .env("CONFIG", "whatsapp")
        .env_remove("WACFG_REVIEWED_DIGEST");
    if let Some(d) = digest {
        cmd.env("WACFG_REVIEWED_DIGEST", d);
    }
    let out = cmd.output().unwrap();
    let args = std::fs::read_to_string(&args_file).unwrap_or_default();
    (
        out.status.success(),
        args,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_manual_gitlab_apply_needs_the_digest_its_reader_gives_and_passes_it_on() {
    let (ok, args, stderr) = run_apply_reviewed_main(None);
    assert!(!ok, "applied without a reviewed digest");
    assert!(args.is_empty(), "wacfg ran: {args}");
    assert!(stderr.contains("WACFG_REVIEWED_DIGEST"), "{stderr}");

    let (ok, args, _) = run_apply_reviewed_main(Some("not-a-digest"));
    assert!(
        !ok && args.is_empty(),
        "a malformed digest was passed on: {args}"
    );

    let digest = format!("sha256:{}", "ab".repeat(32));
    let (ok, args, stderr) = run_apply_reviewed_main(Some(&digest));
    assert!(ok, "{stderr}");
    assert!(
        args.contains(&format!("--expect-digest {digest}")),
        "wacfg got: {args}"
    );
    assert!(args.starts_with("apply plan.json -c whatsapp"), "{args}");
}
