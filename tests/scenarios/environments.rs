//! Environments end to end: the base configuration with an overlay naming the environment and
//! changing one value through a variable; the plan names the environment in its header and
//! shows the overlaid value; a `--target` that matches nothing is refused.

use crate::config::base;
use crate::harness::Env;

#[test]
fn an_overlay_names_the_environment_in_the_plan_and_changes_what_is_planned() {
    let env = Env::new(&base());
    std::fs::write(
        env.path("test.yaml"),
        "version: 1\nenvironment: test\nvars:\n  what: Overlaid description\n\
         channel_configurations:\n  - name: Marketing_FR\n    description: ${var.what}\n",
    )
    .unwrap();
    let plan = env.expect(&["plan", "-c", "wacfg.yaml", "-c", "test.yaml"], 0);
    assert!(
        plan.stdout.starts_with("Environment: test\nGraph API: "),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("Overlaid description"),
        "{}",
        plan.stdout
    );
    // The flag beats the file's value.
    let plan = env.expect(
        &[
            "plan",
            "-c",
            "wacfg.yaml",
            "-c",
            "test.yaml",
            "--format",
            "json",
            "--var",
            "what=From the flag",
        ],
        0,
    );
    let json: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    assert_eq!(json["environment"], "test");
    assert!(plan.stdout.contains("From the flag"));
    assert!(!plan.stdout.contains("Overlaid description"));
    // Without an overlay there is no environment line.
    let plan = env.expect(&["plan"], 0);
    assert!(!plan.stdout.contains("Environment:"), "{}", plan.stdout);
}

#[test]
fn a_target_that_matches_nothing_is_an_error() {
    let env = Env::new(&base());
    let r = env.expect(
        &["plan", "--target", "channel_configuration.Marketing_fr"],
        1,
    );
    assert!(
        r.stderr.starts_with(
            "error: --target channel_configuration.Marketing_fr matches nothing: neither \
             declared in the configuration nor recorded in the state"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout, "");
    env.expect(
        &[
            "apply",
            "--auto-approve",
            "--target",
            "channel_configuration.Nope",
        ],
        1,
    );
    assert!(env.state_doc().is_none(), "nothing was applied");
}
