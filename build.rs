//! Build facts for `wacfg version`: the target triple, and the commit when one is known
//! (`WACFG_BUILD_COMMIT`, else `git rev-parse` when git and a repository are there). No
//! network; a build without git simply has no commit.

use std::process::Command;

fn main() {
    let target = std::env::var("TARGET").unwrap_or_default();
    println!("cargo:rustc-env=WACFG_TARGET={target}");
    println!("cargo:rerun-if-env-changed=WACFG_BUILD_COMMIT");
    let commit = std::env::var("WACFG_BUILD_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]));
    if let Some(commit) = commit {
        println!("cargo:rustc-env=WACFG_COMMIT={}", commit.trim());
    }
    // Rebuild the fact when HEAD moves (the files exist only in a git checkout).
    for path in ["HEAD", "index"] {
        if let Some(file) = git(&["rev-parse", "--git-path", path]) {
            println!("cargo:rerun-if-changed={}", file.trim());
        }
    }
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then_some(text)
}
