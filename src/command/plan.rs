//! `wacfg plan`: validate, read state and Meta, plan, print; `-o` saves the plan (JSON, no
//! secrets) with its digest. Exit 1 on errors or a refused plan; with `--detailed-exitcode`,
//! 2 when there are changes.

use std::io::IsTerminal;
use std::path::Path;

use super::pipeline::{self, Prepared};
use super::progress::Console;
use super::{CommandError, CommandResult, Operator, Outcome, use_color};
use crate::cli::PlanArgs;
use crate::plan::{Plan, PlanCommit};
use crate::render::render_plan;

pub fn run(args: PlanArgs, no_color: bool, operator: &Operator) -> CommandResult {
    let sources = super::ConfigSources::new(&args.config)?;
    let prefetch = pipeline::prefetch_state(&sources);
    let Some(prepared) = pipeline::prepare(
        &sources,
        args.format,
        no_color,
        operator,
        args.remote.parallelism,
        pipeline::Reads::SecretsAndMedia,
    )?
    else {
        return Ok(Outcome::Failed);
    };
    let plan =
        pipeline::runtime()?.block_on(read_and_plan(&prepared, &args, prefetch, no_color))?;
    let color = use_color(no_color, std::io::stdout().is_terminal());
    out!("{}", render_plan(&plan, args.format.into(), color));
    if plan.refused {
        return Ok(Outcome::Failed);
    }
    if let Some(out) = &args.out {
        save(&plan, out)?;
        eprintln!(
            "Saved the plan to {}. Digest: {}\nApply exactly this plan with: wacfg apply {} --expect-digest {}",
            out.display(),
            plan.digests.plan,
            out.display(),
            plan.digests.plan
        );
    }
    Ok(if args.detailed_exitcode && plan.has_changes() {
        Outcome::Changes
    } else {
        Outcome::Success
    })
}

async fn read_and_plan(
    prepared: &Prepared,
    args: &PlanArgs,
    prefetch: pipeline::StatePrefetch,
    no_color: bool,
) -> Result<Plan, CommandError> {
    let console = Console::new(no_color);
    let pipeline::Recorded {
        prior,
        resources: recorded,
        observed,
        ..
    } = pipeline::read_unlocked(prepared, prefetch, &console).await?;
    let mut plan = pipeline::make_plan(
        prepared,
        &observed,
        prior,
        &recorded,
        &args.targets,
        args.allow_destructive,
        crate::plan::PlanOptions {
            retry_failed: args.retry_failed,
            refresh_only: args.refresh_only,
        },
    )?;
    // Every `-c` source counts: the commit is the first's checkout, modified if any source is.
    let operator = std::env::var("WACFG_COMMIT").ok();
    let found: Vec<PlanCommit> = args
        .config
        .config
        .iter()
        .filter_map(|source| commit_of(source, operator.clone()))
        .collect();
    plan.commit = found.first().map(|first| PlanCommit {
        sha: first.sha.clone(),
        modified: found.iter().any(|c| c.modified),
    });
    if plan.commit.is_some() {
        crate::plan::digest::seal(&mut plan);
    }
    Ok(plan)
}

/// The commit the configuration at `config` is planned from: `WACFG_COMMIT` when the operator
/// sets it (a CI job naming the pull request's head rather than a merge commit), else the
/// HEAD of the git checkout holding it, marked modified when the configuration has
/// uncommitted changes there. `None` outside a git checkout or without git.
pub fn commit_of(config: &Path, operator: Option<String>) -> Option<PlanCommit> {
    if let Some(sha) = operator {
        let sha = sha.trim();
        if !sha.is_empty() && sha.len() <= 64 && sha.chars().all(|c| c.is_ascii_hexdigit()) {
            return Some(PlanCommit {
                sha: sha.to_ascii_lowercase(),
                modified: false,
            });
        }
    }
    let dir = if config.is_dir() {
        config
    } else {
        match config.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        }
    };
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let sha = git(&["rev-parse", "--verify", "-q", "HEAD"])?;
    if sha.is_empty() || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let name = config.file_name().map(|n| n.to_string_lossy().to_string());
    let pathspec = if config.is_dir() {
        ".".to_string()
    } else {
        name.unwrap_or_else(|| ".".into())
    };
    let status = git(&["status", "--porcelain", "--", &pathspec]).unwrap_or_default();
    Some(PlanCommit {
        sha,
        modified: !status.is_empty(),
    })
}

/// Write the plan file atomically enough for CI: a temp file beside it, then a rename.
pub fn save(plan: &Plan, path: &Path) -> Result<(), CommandError> {
    let text = serde_json::to_string_pretty(plan)
        .map_err(|e| CommandError::new(format!("cannot encode the plan: {e}")))?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text + "\n")
        .map_err(|e| CommandError::new(format!("cannot write {}: {e}", tmp.display())))?;
    std::fs::rename(&tmp, path)
        .map_err(|e| CommandError::new(format!("cannot write {}: {e}", path.display())))?;
    Ok(())
}

/// Read a saved plan, refusing anything that is not one this version understands.
pub fn load(path: &Path) -> Result<Plan, CommandError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CommandError::new(format!("cannot read the plan file {}: {e}", path.display()))
    })?;
    let plan: Plan = serde_json::from_str(&text).map_err(|e| {
        CommandError::new(format!(
            "{} is not a wacfg plan ({e}); make one with `wacfg plan -o {}`",
            path.display(),
            path.display()
        ))
    })?;
    let major = |v: &str| v.split('.').next().unwrap_or("").to_string();
    if major(&plan.format_version) != major(crate::plan::PLAN_FORMAT_VERSION) {
        return Err(CommandError::new(format!(
            "{} has plan format {}, this wacfg reads {}; make the plan again with this version",
            path.display(),
            plan.format_version,
            crate::plan::PLAN_FORMAT_VERSION
        )));
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::commit_of;

    fn git(dir: &std::path::Path, args: &[&str]) {
        let ok = std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
            .args(args)
            .output()
            .expect("git runs")
            .status
            .success();
        assert!(ok, "git {args:?}");
    }

    /// Outside a checkout there is no commit; inside, HEAD, marked modified once the
    /// configuration changes (and only the configuration counts).
    #[test]
    fn the_commit_is_heads_and_says_when_the_configuration_was_modified() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("wacfg.yaml");
        std::fs::write(&config, "version: 1\n").unwrap();
        assert_eq!(commit_of(&config, None), None);
        git(dir.path(), &["init", "-q"]);
        git(dir.path(), &["add", "wacfg.yaml"]);
        git(dir.path(), &["commit", "-q", "-m", "c"]);
        let head = std::process::Command::new("git")
            .arg("-C")
            .arg(dir.path())
            .args(["rev-parse", "HEAD"])
            .output()
            .unwrap();
        let head = String::from_utf8(head.stdout).unwrap().trim().to_string();
        let found = commit_of(&config, None).expect("a commit");
        assert_eq!(found.sha, head);
        assert!(!found.modified);
        std::fs::write(dir.path().join("notes.txt"), "unrelated").unwrap();
        assert!(!commit_of(&config, None).unwrap().modified);
        std::fs::write(&config, "version: 1\n# edited\n").unwrap();
        assert!(commit_of(&config, None).unwrap().modified);
        // The operator's WACFG_COMMIT wins (a CI job naming the pull request's head).
        let named = commit_of(&config, Some("ABCDEF0123".into())).unwrap();
        assert_eq!((named.sha.as_str(), named.modified), ("abcdef0123", false));
    }
}
