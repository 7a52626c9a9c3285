//! The local store on a file system that refuses to write: `wacfg` runs with its file size
//! limit lowered (`prlimit --fsize`, SIGXFSZ ignored, so the kernel fails a write past the
//! limit with EFBIG, as a full disk fails it with ENOSPC). The journal's append failing
//! mid-apply stops the apply with an error naming the state and what to do, and keeps every
//! change reported done; the fold at the end of an apply failing keeps the apply's changes and
//! says so; the fold when a run takes the lock failing says what to do; once there is room a
//! rerun converges.

use crate::config::{Channel, active, config};
use crate::harness::{Env, Run};

/// `wacfg ARGS` with no file it writes allowed past `bytes`. Its stdout and stderr are pipes,
/// which the limit does not cover.
fn limited(env: &Env, bytes: u64, args: &[&str]) -> Run {
    let mut full = vec![
        "-c",
        "trap '' XFSZ; limit=$1; shift; exec prlimit --fsize=\"$limit\" -- \"$@\"",
        "sh",
    ];
    let limit = bytes.to_string();
    full.push(&limit);
    full.push(env!("CARGO_BIN_EXE_wacfg"));
    full.extend_from_slice(args);
    let out = env
        .program("sh", &full)
        .output()
        .expect("sh and prlimit (util-linux) run");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn channels(n: usize, description: &str) -> Vec<Channel> {
    (0..n)
        .map(|i| {
            let sender = if i % 2 == 0 {
                "15550100001"
            } else {
                "15550100002"
            };
            active(&format!("Channel_{i:03}"), description, sender)
        })
        .collect()
}

/// The addresses progress reported done (printed only once durable).
fn reported_done(run: &Run) -> Vec<String> {
    run.stderr
        .lines()
        .filter_map(|l| {
            let (address, rest) = l.split_once(": ")?;
            (rest.starts_with("Creation complete")
                || rest.starts_with("Import complete")
                || rest.starts_with("Modifications complete"))
            .then(|| address.to_string())
        })
        .collect()
}

fn size(env: &Env, name: &str) -> Option<u64> {
    std::fs::metadata(env.path(name)).ok().map(|m| m.len())
}

/// Temp files a failed write left beside the state.
fn leftovers(env: &Env) -> Vec<String> {
    std::fs::read_dir(env.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect()
}

const NO_ROOM: &str = "no room to write the state ./wacfg.state.json";
const WHAT_TO_DO: &str = "Every change reported done before this is saved. Free space on the file system that holds it (or raise the quota or file size limit), then run the command again";

#[test]
fn a_journal_append_refused_mid_apply_stops_it_keeps_what_was_reported_and_a_rerun_converges() {
    const N: usize = 150;
    let env = Env::new(&config(&channels(N, "bulk"), None));
    // Room for the credentials' record and a few channels' records, not for all: at most 64
    // changes are under way at once with --parallelism 1, so most never start.
    let run = limited(
        &env,
        20_000,
        &["apply", "--auto-approve", "--parallelism", "1"],
    );
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(
        run.stdout.contains(
            "Apply stopped early: the state could not be written, so nothing more was sent to Meta"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!("{NO_ROOM}: cannot append to the state journal ./wacfg.state.json.journal: File too large (os error 27). {WHAT_TO_DO}")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Make the state writable again"),
        "{}",
        run.stdout
    );
    // Each configuration either failed with the write that could not be made, or was never
    // started: none changed Meta after the state stopped recording.
    let not_attempted = run
        .stdout
        .lines()
        .filter(|l| {
            l.contains(
                "not attempted: the run stopped sending to Meta before it: the state could not be written",
            )
        })
        .count();
    let no_room = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("  channel_configuration.") && l.contains(NO_ROOM))
        .count();
    let reported = reported_done(&run);
    assert!(
        reported.contains(&"credentials.acme_fr".to_string()),
        "{}",
        run.stderr
    );
    assert!(not_attempted > 0 && no_room > 0, "{}", run.stdout);
    assert_eq!(
        reported.len() - 1 + no_room + not_attempted,
        N,
        "{}",
        run.stdout
    );
    // The state reads, and holds every change reported done.
    let state = env.state();
    for address in &reported {
        assert!(
            state["resources"].get(address).is_some(),
            "{address} was reported done and is not in the state"
        );
    }
    assert!(size(&env, "wacfg.state.json.journal").unwrap() <= 20_000);
    assert!(!env.path("wacfg.state.json.lock.info").exists());

    // Room again: the rerun applies the rest, once each.
    env.expect(&["apply", "--auto-approve"], 0);
    let state = env.state();
    let resources = state["resources"].as_object().unwrap();
    assert_eq!(resources.len(), N + 1);
    assert!(
        resources
            .iter()
            .filter(|(a, _)| a.starts_with("channel_configuration."))
            .all(|(_, r)| r["status"] == "active")
    );
    env.expect(&["plan", "--detailed-exitcode"], 0);
}

#[test]
fn a_fold_refused_at_the_end_keeps_the_changes_and_at_the_lock_says_what_to_do() {
    const N: usize = 100;
    const CHANGED: usize = 60;
    let env = Env::new(&config(&channels(N, "bulk"), None));
    env.expect(&["apply", "--auto-approve"], 0);
    let snapshot = size(&env, "wacfg.state.json").expect("the first apply folds");
    assert!(size(&env, "wacfg.state.json.journal").is_none());
    // Half the configurations get a longer description: their records make a journal of at
    // least half the snapshot (so the end of the apply folds it) but less than the snapshot,
    // and the new snapshot is larger than the old one.
    let mut edited = channels(N, "bulk");
    for c in edited.iter_mut().take(CHANGED) {
        c.description = "bulk, now with a much longer description".into();
    }
    env.write_config(&config(&edited, None));
    let run = limited(&env, snapshot, &["apply", "--auto-approve"]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    let journal = size(&env, "wacfg.state.json.journal").expect("the journal is kept");
    assert!(
        journal >= snapshot / 2 && journal < snapshot,
        "the premise: journal {journal} bytes, snapshot {snapshot}"
    );
    assert_eq!(reported_done(&run).len(), CHANGED, "{}", run.stderr);
    assert!(
        run.stderr.contains("warning: every change is saved, but the state could not be assembled into one document: cannot write the state: no room to write the state ./wacfg.state.json"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(WHAT_TO_DO), "{}", run.stderr);
    // The changes are in the state (the snapshot and the journal), no temp file is left.
    let state = env.state();
    for c in &edited[..CHANGED] {
        assert_eq!(
            state["resources"][format!("channel_configuration.{}", c.name)]["spec"]["description"],
            c.description,
        );
    }
    assert_eq!(size(&env, "wacfg.state.json"), Some(snapshot));
    assert!(leftovers(&env).is_empty(), "{:?}", leftovers(&env));

    // Still no room: the next run that locks the state cannot fold the journal either, and
    // says what to do.
    let run = limited(&env, snapshot, &["apply", "--auto-approve"]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(
        run.stderr.contains(NO_ROOM) && run.stderr.contains(WHAT_TO_DO),
        "{}",
        run.stderr
    );
    assert!(!env.path("wacfg.state.json.lock.info").exists());
    assert!(leftovers(&env).is_empty(), "{:?}", leftovers(&env));

    // Room again: the lock folds, nothing is left to do.
    let run = env.expect(&["apply", "--auto-approve"], 0);
    assert!(run.stdout.contains("No changes"), "{run:#?}");
    assert!(size(&env, "wacfg.state.json.journal").is_none());
    assert!(size(&env, "wacfg.state.json").unwrap() > snapshot);
    let state = env.state();
    assert_eq!(
        state["resources"]["channel_configuration.Channel_000"]["spec"]["description"],
        "bulk, now with a much longer description"
    );
}
