//! Reading the templates of many WABAs against the simulator: pages in rounds, one batch
//! request per round for every WABA that still has a page, every page of every WABA read; one
//! WABA's failing page stays that WABA's, a transient one is read again.

use std::fmt::Write as _;

use wacfg::remote::{Client, ClientConfig, Token};
use wacfg_sim::{Faults, InjectedError, Sim, World};

const TOKEN: &str = "test-token-template-reads";

fn waba_id(w: usize) -> String {
    format!("2{w:014}")
}

/// WABA `w` holds `counts[w]` templates.
fn world(counts: &[usize]) -> World {
    let mut y = format!(
        "tokens:\n  - value: {TOKEN}\n    scopes: [whatsapp_business_management, whatsapp_business_messaging, business_management]\n    businesses: [\"1000000000000001\"]\nbusinesses:\n  - id: \"1000000000000001\"\n    name: Reads\n    owned_whatsapp_business_accounts:\n"
    );
    let mut id = 1_800_000_000_000_000u64;
    for (w, count) in counts.iter().enumerate() {
        let _ = writeln!(y, "      - id: \"{}\"\n        name: WABA {w}", waba_id(w));
        if *count > 0 {
            y.push_str("        message_templates:\n");
        }
        for t in 0..*count {
            id += 1;
            let _ = writeln!(
                y,
                "          - {{id: \"{id}\", name: tpl_{t:04}, language: en_US, category: UTILITY, components: [{{type: BODY, text: \"Order {t} ships today.\"}}]}}"
            );
        }
    }
    World::from_yaml(&y).expect("a valid world")
}

fn read(
    sim: &Sim,
    wabas: usize,
) -> std::collections::BTreeMap<String, wacfg::remote::templates::TemplatesResult> {
    let client =
        Client::new(ClientConfig::from_parts(&sim.url(), None, "v23.0", 8)).expect("a client");
    let ids: Vec<String> = (0..wabas).map(waba_id).collect();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(client.read_templates(&[(Token::new(TOKEN), ids)]))
}

#[test]
fn every_page_of_every_waba_in_one_batch_request_per_round() {
    let counts = [250, 120, 0, 301];
    let sim = Sim::start_blocking(world(&counts), Faults::default()).expect("simulator");
    let read = read(&sim, counts.len());
    for (w, count) in counts.iter().enumerate() {
        let templates = read[&waba_id(w)].as_ref().expect("read");
        assert_eq!(templates.len(), *count, "WABA {w}");
    }
    // 301 templates are 4 pages of 100: four rounds, one batch request each.
    let stats = sim.stats();
    assert_eq!(stats.http_requests, 4, "{stats:?}");
    assert_eq!(stats.batch_sub_requests, 4 + 3 + 2 + 1, "{stats:?}");
}

#[test]
fn a_failing_page_stays_its_wabas_and_a_transient_one_is_read_again() {
    let counts = [250, 250, 250];
    let faults = Faults {
        // The first round's items in order: WABA 0 meets a transient error (read again on
        // its own), WABA 1 a refusal (its result is that error), WABA 2 nothing.
        fail_batch_items: vec![InjectedError::code(2), InjectedError::code(100)],
        ..Faults::default()
    };
    let sim = Sim::start_blocking(world(&counts), faults).expect("simulator");
    let read = read(&sim, counts.len());
    assert_eq!(read[&waba_id(0)].as_ref().expect("read again").len(), 250);
    let refused = read[&waba_id(1)].as_ref().expect_err("refused");
    assert!(!refused.message.is_empty());
    assert!(!refused.message.contains(TOKEN), "{}", refused.message);
    assert_eq!(read[&waba_id(2)].as_ref().expect("read").len(), 250);
}
