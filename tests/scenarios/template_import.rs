//! Adopting the templates that already exist at Meta (`wacfg import templates`): 250 templates
//! over several pages imported, then an empty plan and no drift; a `--name` glob that adopts
//! some and leaves the others unmanaged (never deleted); templates the file model cannot hold
//! named with their reason, never dropped silently; and the errors a careful user meets.

use serde_json::{Value, json};
use wacfg_sim::{Faults, World};

use crate::harness::{Env, world};

const WABA: &str = "102290129340398";

const CONFIG: &str = "version: 1\n\
    credentials:\n  \
    - name: acme_fr\n    \
      token: env:WHATSAPP_TOKEN_ACME_FR\n    \
      business_id: \"1234567890123456\"\n    \
      whatsapp_business_account: \"102290129340398\"\n    \
      phone_number: \"15550100001\"\n";

/// A seeded template (the world file's shape).
fn seeded(id: u64, name: &str, language: &str, category: &str, components: Value) -> Value {
    json!({
        "id": id.to_string(),
        "name": name,
        "language": language,
        "category": category,
        "status": "APPROVED",
        "quality_score": "GREEN",
        "components": components,
    })
}

/// The examples world with `templates` seeded under the Acme FR WABA.
fn world_with(templates: Vec<Value>) -> World {
    let mut w = world();
    let waba = w
        .businesses
        .iter_mut()
        .flat_map(|b| b.owned_whatsapp_business_accounts.iter_mut())
        .find(|w| w.id == WABA)
        .expect("the Acme FR WABA");
    for t in templates {
        waba.message_templates
            .push(serde_json::from_value(t).expect("a template of the world file's shape"));
    }
    w
}

/// The credentials recorded (the state exists), the templates not.
fn env_with(templates: Vec<Value>) -> Env {
    let env = Env::with(world_with(templates), Faults::default(), CONFIG);
    env.expect(&["apply", "--auto-approve"], 0);
    assert!(env.state()["resources"]["credentials.acme_fr"].is_object());
    env
}

/// Shapes Meta serves, one per template: text header with an example, named parameters,
/// media header, footer, every button kind the file model has.
fn shapes(i: usize) -> (Value, Option<&'static str>) {
    match i % 5 {
        0 => (
            json!([
                {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}", "example": {"header_text": ["#1234"]}},
                {"type": "BODY", "text": format!("Hi {{{{1}}}}, your order {{{{2}}}} number {i} ships today."), "example": {"body_text": [["Ana", "#1234"]]}},
                {"type": "FOOTER", "text": "Reply STOP to opt out"},
                {"type": "BUTTONS", "buttons": [
                    {"type": "QUICK_REPLY", "text": "Track"},
                    {"type": "URL", "text": "Details", "url": "https://acme.example/o/{{1}}", "example": ["https://acme.example/o/1234"]}
                ]}
            ]),
            None,
        ),
        1 => (
            json!([
                {"type": "BODY", "text": format!("Hello {{{{first_name}}}}, offer {i} ends {{{{day}}}} for you."), "example": {"body_text_named_params": [
                    {"param_name": "first_name", "example": "Ana"},
                    {"param_name": "day", "example": "Friday"}
                ]}}
            ]),
            Some("NAMED"),
        ),
        2 => (
            json!([
                {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["https://scontent.example/v/t61/photo.jpg"]}},
                {"type": "BODY", "text": format!("Our \"new\" catalogue {i} is out: take a look.")},
                {"type": "BUTTONS", "buttons": [{"type": "PHONE_NUMBER", "text": "Call us", "phone_number": "+15550100001"}]}
            ]),
            None,
        ),
        3 => (
            json!([
                {"type": "BODY", "text": format!("Use code {{{{1}}}} at checkout, offer {i}."), "example": {"body_text": [["SAVE10"]]}},
                {"type": "BUTTONS", "buttons": [{"type": "COPY_CODE", "example": "SAVE10"}]}
            ]),
            None,
        ),
        _ => (
            json!([{"type": "BODY", "text": format!("Thanks for your visit number {i}.\nSee you soon!")}]),
            None,
        ),
    }
}

fn many(count: usize) -> Vec<Value> {
    let mut out = Vec::new();
    let mut id = 1_300_000_000_000_000u64;
    for i in 0..count {
        let (components, format) = shapes(i);
        let category = if i % 2 == 0 { "UTILITY" } else { "MARKETING" };
        // Every fifth template in two languages: 300 rows for 250 names.
        let languages: &[&str] = if i % 5 == 0 {
            &["en_US", "fr_FR"]
        } else {
            &["en_US"]
        };
        for (n, language) in languages.iter().enumerate() {
            id += 1;
            let mut t = seeded(
                id,
                &format!("tpl_{i:03}"),
                language,
                category,
                components.clone(),
            );
            if let Some(f) = format {
                t["parameter_format"] = json!(f);
            }
            if n == 1 {
                t["status"] = json!("REJECTED");
                t["rejected_reason"] = json!("INVALID_FORMAT");
                t.as_object_mut().unwrap().remove("quality_score");
            }
            out.push(t);
        }
    }
    out
}

fn template_records(env: &Env) -> usize {
    env.state()["resources"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| k.starts_with("message_template."))
        .count()
}

#[test]
fn import_of_250_templates_over_several_pages_then_an_empty_plan() {
    let env = env_with(many(250));
    let serial = env.serial();
    let before = env.sim.stats().http_requests;
    let run = env.expect(
        &[
            "import",
            "templates",
            "--credentials",
            "acme_fr",
            "--out",
            "templates.yaml",
        ],
        0,
    );
    assert_eq!(run.stdout, "", "the YAML went to the file");
    assert!(
        run.stderr
            .contains("Adopted 250 template(s), 300 language(s), into the state"),
        "{}",
        run.stderr
    );
    // 300 rows at the simulator's largest page (100): three pages read in sequence, each
    // round of pages one batch request.
    let stats = env.sim.stats();
    assert_eq!(stats.route_count("message_templates"), 3, "{stats:?}");
    assert_eq!(stats.http_requests - before, 3, "{stats:?}");
    assert_eq!(env.serial(), serial + 1, "one state write");
    assert_eq!(template_records(&env), 250);
    let yaml = std::fs::read_to_string(env.path("templates.yaml")).unwrap();
    assert_eq!(yaml.matches("\n  - name: ").count(), 250);
    // Names in order, languages in code order: deterministic.
    let first = yaml.find("name: tpl_000").unwrap();
    assert!(first < yaml.find("name: tpl_001").unwrap());
    assert!(yaml.contains("# id 1300000000000002: REJECTED (INVALID_FORMAT) at Meta"));
    let config = ["-c", "wacfg.yaml", "-c", "templates.yaml"];
    env.expect(&[&["validate"][..], &config].concat(), 0);
    let plan = env.expect(&[&["plan", "--detailed-exitcode"][..], &config].concat(), 0);
    assert!(
        !plan.stdout.contains("message_template."),
        "no template changes:\n{}",
        plan.stdout
    );
    env.expect(&[&["drift"][..], &config].concat(), 0);
    // Importing again adopts nothing new and writes no state.
    let again = env.expect(
        &[
            "import",
            "templates",
            "--credentials",
            "acme_fr",
            "--out",
            "again.yaml",
        ],
        0,
    );
    assert!(
        again.stderr.contains("250 already in the state")
            && again.stderr.contains("No YAML written"),
        "{}",
        again.stderr
    );
    assert!(
        !env.path("again.yaml").exists(),
        "no empty file left behind"
    );
    assert_eq!(env.serial(), serial + 1);
}

#[test]
fn a_name_glob_adopts_those_it_matches_and_the_others_are_never_deleted() {
    // Every shape of `shapes` under an order_ name, and one welcome template.
    let mut templates: Vec<Value> = (0..5)
        .map(|i| {
            let (components, format) = shapes(i);
            let mut t = seeded(
                1_400_000_000_000_001 + i as u64,
                &format!("order_{i}"),
                "en_US",
                "UTILITY",
                components,
            );
            if let Some(f) = format {
                t["parameter_format"] = json!(f);
            }
            t
        })
        .collect();
    templates.push(seeded(
        1_400_000_000_000_009,
        "welcome",
        "en_US",
        "MARKETING",
        json!([{"type": "BODY", "text": "Welcome to Acme, friend."}]),
    ));
    let env = env_with(templates);
    let run = env.expect(
        &[
            "import",
            "templates",
            "--credentials",
            "acme_fr",
            "--name",
            "order_*",
        ],
        0,
    );
    crate::golden("template_import_glob", &env.golden(&run));
    assert!(!run.stdout.contains("welcome"), "{}", run.stdout);
    assert_eq!(template_records(&env), 5);
    // Pasted into the configuration: the plan is empty, and applying it deletes nothing.
    env.write_config(&format!("{CONFIG}{}", yaml_body(&run.stdout)));
    let plan = env.expect(&["plan", "--detailed-exitcode"], 0);
    assert!(!plan.stdout.contains("welcome"), "{}", plan.stdout);
    env.expect(&["apply", "--auto-approve"], 0);
    assert_eq!(env.sim.stats().route_count("DELETE message_templates"), 0);
    let nothing = env.run(&[
        "import",
        "templates",
        "--credentials",
        "acme_fr",
        "--name",
        "promo_*",
    ]);
    assert_eq!(nothing.code, Some(1));
    assert!(
        nothing.stderr.contains("matches --name promo_*"),
        "{}",
        nothing.stderr
    );
}

/// The YAML without its head comment and `version`, to append to a configuration.
fn yaml_body(yaml: &str) -> String {
    yaml.lines()
        .filter(|l| !l.starts_with('#') && *l != "version: 1")
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn templates_the_file_model_cannot_hold_are_named_with_the_reason() {
    let env = env_with(vec![
        seeded(
            1_500_000_000_000_001,
            "spring_carousel",
            "en_US",
            "MARKETING",
            json!([{"type": "BODY", "text": "Spring picks for you."}, {"type": "CAROUSEL", "cards": []}]),
        ),
        seeded(
            1_500_000_000_000_002,
            "store_location",
            "en_US",
            "UTILITY",
            json!([{"type": "HEADER", "format": "LOCATION"}, {"type": "BODY", "text": "Find our store here."}]),
        ),
        seeded(
            1_500_000_000_000_003,
            "too_long_footer",
            "en_US",
            "UTILITY",
            json!([{"type": "BODY", "text": "Hello there, friend."}, {"type": "FOOTER", "text": "x".repeat(61)}]),
        ),
        seeded(
            1_500_000_000_000_004,
            "plain",
            "en_US",
            "UTILITY",
            json!([{"type": "BODY", "text": "Hello there, friend."}]),
        ),
    ]);
    let run = env.expect(&["import", "templates", "--credentials", "acme_fr"], 0);
    crate::golden("template_import_unrepresentable", &env.golden(&run));
    for (name, why) in [
        (
            "spring_carousel",
            "component CAROUSEL is not in wacfg's file model",
        ),
        (
            "store_location",
            "a LOCATION header is not in wacfg's file model",
        ),
        ("too_long_footer", "would not pass validate: the footer of"),
    ] {
        assert!(
            run.stderr.contains(&format!("    {name}: ")) && run.stderr.contains(why),
            "{name}: {why}\n{}",
            run.stderr
        );
        assert!(
            run.stdout.contains(&format!("#   {name}: ")),
            "{}",
            run.stdout
        );
    }
    assert!(run.stderr.contains("3 not adopted"), "{}", run.stderr);
    let state = env.state();
    assert!(state["resources"]["message_template.plain"].is_object());
    assert!(state["resources"]["message_template.spring_carousel"].is_null());
    env.write_config(&format!("{CONFIG}{}", yaml_body(&run.stdout)));
    env.expect(&["plan", "--detailed-exitcode"], 0);
}

#[test]
fn clear_errors_before_anything_is_read_or_recorded() {
    let env = Env::with(world_with(many(3)), Faults::default(), CONFIG);
    let no_state = env.run(&["import", "templates", "--credentials", "acme_fr"]);
    assert_eq!(no_state.code, Some(1));
    assert!(
        no_state.stderr.contains("there is no state yet")
            && no_state.stderr.contains("wacfg import credentials.acme_fr"),
        "{}",
        no_state.stderr
    );
    let unknown = env.run(&["import", "templates", "--credentials", "acme_fx"]);
    assert_eq!(unknown.code, Some(1));
    assert!(
        unknown.stderr.contains("no credentials named `acme_fx`")
            && unknown.stderr.contains("did you mean `acme_fr`"),
        "{}",
        unknown.stderr
    );
    env.expect(&["apply", "--auto-approve"], 0);
    std::fs::write(env.path("taken.yaml"), "keep me\n").unwrap();
    let exists = env.run(&[
        "import",
        "templates",
        "--credentials",
        "acme_fr",
        "--out",
        "taken.yaml",
    ]);
    assert_eq!(exists.code, Some(1));
    assert!(
        exists.stderr.contains("taken.yaml exists"),
        "{}",
        exists.stderr
    );
    assert_eq!(
        std::fs::read_to_string(env.path("taken.yaml")).unwrap(),
        "keep me\n"
    );
    assert_eq!(template_records(&env), 0);
    assert_eq!(env.sim.stats().route_count("message_templates"), 0);
}

#[test]
fn a_declared_template_the_plan_refuses_as_unmanaged_is_adopted_by_its_name() {
    let body = json!([{"type": "BODY", "text": "Your order has shipped."}]);
    let declared = format!(
        "{CONFIG}message_templates:\n  \
         - name: order_shipped\n    \
           credentials: acme_fr\n    \
           category: UTILITY\n    \
           languages:\n      \
             en_US:\n        \
               body: {{text: \"Your order has shipped.\"}}\n"
    );
    let env = Env::with(
        // Meta also has it in fr_FR, which the file does not declare.
        world_with(vec![
            seeded(
                1_700_000_000_000_001,
                "order_shipped",
                "en_US",
                "UTILITY",
                body.clone(),
            ),
            seeded(
                1_700_000_000_000_002,
                "order_shipped",
                "fr_FR",
                "UTILITY",
                body,
            ),
        ]),
        Faults::default(),
        CONFIG,
    );
    env.expect(&["apply", "--auto-approve"], 0);
    env.write_config(&declared);
    let refused = env.run(&["plan"]);
    let all = format!("{}{}", refused.stdout, refused.stderr);
    assert!(
        all.contains("wacfg import templates --credentials acme_fr --name order_shipped"),
        "{all}"
    );
    let run = env.expect(
        &[
            "import",
            "templates",
            "--credentials",
            "acme_fr",
            "--name",
            "order_shipped",
        ],
        0,
    );
    assert!(
        !run.stdout.contains("- name: order_shipped"),
        "not written twice:\n{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("1 already declared in the configuration"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "order_shipped: fr_FR at Meta not declared in the configuration: left unmanaged"
        ),
        "{}",
        run.stderr
    );
    let recorded = &env.state()["resources"]["message_template.order_shipped"]["languages"];
    assert!(
        recorded["en_US"].is_object() && recorded["fr_FR"].is_null(),
        "{recorded}"
    );
    // Nothing to send, nothing deleted: the undeclared language stays at Meta.
    env.expect(&["plan", "--detailed-exitcode"], 0);
    env.expect(&["apply", "--auto-approve"], 0);
    assert_eq!(env.sim.stats().route_count("POST message_templates"), 0);
    assert_eq!(env.sim.stats().route_count("DELETE message_templates"), 0);
}
