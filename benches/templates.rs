//! Benchmark: validate + plan of 5,000 message templates × 3 languages against an unchanged
//! remote (Meta's templates as read, every language APPROVED with the components the file
//! asks for) and a state that records them all. Target (issue 10): ≤ 300 ms, release build.
//! In process: the read itself is measured by `remote_read`. Run:
//! `cargo bench --bench templates`.

use std::collections::BTreeMap;
use std::time::Instant;

use wacfg::kinds::RecordedResource;
use wacfg::kinds::message_template::components::components;
use wacfg::kinds::message_template::{RecordedLanguage, RecordedTemplate};
use wacfg::model::{Action, Address, Observed, ObservedTemplate, TemplatesByName};
use wacfg::plan::{PlanInput, plan};

const TEMPLATES: usize = 5_000;
const LANGUAGES: [&str; 3] = ["en_US", "fr_FR", "de_DE"];
const WABA: &str = "102290129340398";
const RUNS: usize = 7;

fn config() -> String {
    let mut s = String::from(
        "version: 1\n\
         credentials:\n  \
         - name: acme_fr\n    \
           token: env:WHATSAPP_TOKEN_ACME_FR\n    \
           business_id: \"1234567890123456\"\n    \
           whatsapp_business_account: \"102290129340398\"\n    \
           phone_number: \"15550100001\"\n\
         message_templates:\n",
    );
    for i in 0..TEMPLATES {
        s += &format!(
            "  - name: order_update_{i}\n    credentials: acme_fr\n    category: UTILITY\n    languages:\n"
        );
        for lang in LANGUAGES {
            s += &format!(
                "      {lang}:\n        \
                 header: {{format: TEXT, text: \"Order {{{{1}}}}\", example: [\"#1234\"]}}\n        \
                 body: {{text: \"Hi {{{{1}}}}, your order {{{{2}}}} number {i} ships today.\", example: [\"Ana\", \"#1234\"]}}\n        \
                 footer: \"Reply STOP to opt out\"\n        \
                 buttons:\n          \
                 - {{type: QUICK_REPLY, text: \"Track\"}}\n          \
                 - {{type: URL, text: \"Details\", url: \"https://acme.example/o/{{{{1}}}}\", example: [\"1234\"]}}\n"
            );
        }
    }
    s
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("wacfg.yaml");
    std::fs::write(&path, config()).unwrap();
    // The remote and the state, from one validation (outside the measured runs).
    let desired = wacfg::validate::validate_path(&path)
        .desired
        .expect("the generated configuration is valid");
    let mut by_name = TemplatesByName::new();
    let mut recorded = BTreeMap::new();
    let mut id = 1_000_000u64;
    for d in desired.message_templates.values() {
        let mut languages = BTreeMap::new();
        for (code, lang) in &d.languages {
            id += 1;
            let comps = components(lang, d.parameter_format);
            by_name.entry(d.name.clone()).or_default().insert(
                code.clone(),
                ObservedTemplate {
                    id: id.to_string(),
                    name: d.name.clone(),
                    language: code.clone(),
                    status: "APPROVED".into(),
                    category: "UTILITY".into(),
                    components: comps.clone(),
                    ..ObservedTemplate::default()
                },
            );
            languages.insert(
                code.clone(),
                RecordedLanguage {
                    id: id.to_string(),
                    status: "APPROVED".into(),
                    components: comps,
                    rejected_reason: None,
                    quality_score: None,
                    edits: Vec::new(),
                    created_at: None,
                },
            );
        }
        recorded.insert(
            Address::message_template(&d.name),
            RecordedResource::MessageTemplate(RecordedTemplate {
                name: d.name.clone(),
                credentials: d.credentials.clone(),
                waba_id: WABA.into(),
                category: d.category,
                parameter_format: d.parameter_format,
                allow_category_change: false,
                prevent_destroy: false,
                message_send_ttl_seconds: None,
                languages,
            }),
        );
    }
    let mut observed = Observed::default();
    observed.templates.insert(WABA.into(), Ok(by_name));
    let fingerprints = BTreeMap::new();
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        let validation = wacfg::validate::validate_path(&path);
        let desired = validation.desired.expect("valid");
        let p = plan(&PlanInput {
            desired: &desired,
            observed: &observed,
            prior: None,
            recorded: &recorded,
            fingerprints: &fingerprints,
            targets: Vec::new(),
            allow_destructive: false,
            options: Default::default(),
        });
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        let templates: Vec<_> = p
            .resource_changes
            .iter()
            .filter(|c| c.address.kind == wacfg::model::ResourceKind::MessageTemplate)
            .collect();
        assert_eq!(templates.len(), TEMPLATES);
        assert!(
            templates.iter().all(|c| c.action == Action::NoOp),
            "the remote and state are unchanged: no template may change"
        );
        assert!(
            p.resource_drift.is_empty(),
            "{:?}",
            p.resource_drift.first()
        );
    }
    times.sort_by(f64::total_cmp);
    println!(
        "validate + plan, {TEMPLATES} templates x {} languages, unchanged remote: median {:.0} ms (min {:.0}, max {:.0}) over {RUNS} runs; target <= 300 ms",
        LANGUAGES.len(),
        times[RUNS / 2],
        times[0],
        times[RUNS - 1]
    );
}
