//! Generated worlds and configurations for the plan and apply benchmarks: `businesses`
//! portfolios with one token each, two WABAs per business, credentials entries spread over the
//! WABAs, sender numbers spread over the credentials (number `k` is in the WABA of credentials
//! `k % credentials`, whose own number is number `k` for `k < credentials`), and channel
//! configurations spread over the numbers (configuration `c` sends from number
//! `c % numbers`, with that number's credentials). Also used by `tests/apply_reads.rs`.

use std::fmt::Write as _;

pub struct Shape {
    pub businesses: usize,
    pub credentials: usize,
    /// Distinct sender numbers, at least `credentials`.
    pub numbers: usize,
    pub channels: usize,
}

pub fn token(b: usize) -> String {
    format!("bench-token-{b:03}")
}

pub fn token_var(b: usize) -> String {
    format!("WACFG_BENCH_TOKEN_{b:03}")
}

fn business_id(b: usize) -> String {
    format!("9{b:015}")
}

fn waba_id(b: usize, w: usize) -> String {
    format!("8{b:07}{w:07}")
}

fn number_digits(n: usize) -> String {
    format!("1555{n:07}")
}

/// Which (business, waba) a credentials entry / number belongs to.
fn placement(shape: &Shape, n: usize) -> (usize, usize) {
    let b = n % shape.businesses;
    (b, (n / shape.businesses) % 2)
}

pub fn world_yaml(shape: &Shape) -> String {
    let mut y = String::from("tokens:\n");
    for b in 0..shape.businesses {
        let _ = writeln!(
            y,
            "  - value: {}\n    label: bench-{b}\n    valid: true\n    scopes: [whatsapp_business_management, whatsapp_business_messaging, business_management]\n    businesses: [\"{}\"]",
            token(b),
            business_id(b)
        );
    }
    y.push_str("businesses:\n");
    for b in 0..shape.businesses {
        let _ = writeln!(
            y,
            "  - id: \"{}\"\n    name: Bench {b}\n    owned_whatsapp_business_accounts:",
            business_id(b)
        );
        for w in 0..2 {
            let here = |k: &usize| placement(shape, k % shape.credentials) == (b, w);
            let numbers: Vec<usize> = (0..shape.numbers.max(shape.credentials))
                .filter(here)
                .collect();
            let _ = writeln!(
                y,
                "      - id: \"{}\"\n        name: Bench {b}-{w}\n        account_review_status: APPROVED\n        phone_numbers:{}",
                waba_id(b, w),
                if numbers.is_empty() { " []" } else { "" }
            );
            for n in numbers {
                let d = number_digits(n);
                let _ = writeln!(
                    y,
                    "          - id: \"7{n:014}\"\n            display_phone_number: \"+{d}\"\n            verified_name: Bench {n}\n            quality_rating: GREEN\n            throughput: STANDARD\n            status: CONNECTED\n            name_status: APPROVED\n            code_verification_status: VERIFIED\n            messaging_limit_tier: TIER_1K\n            platform_type: CLOUD_API"
                );
            }
        }
        y.push_str("    client_whatsapp_business_accounts: []\n");
    }
    y
}

pub fn config_yaml(shape: &Shape) -> String {
    let mut y = String::from("version: 1\nmarketing_actions: [whatsappPromotions]\ncredentials:\n");
    for n in 0..shape.credentials {
        let (b, w) = placement(shape, n);
        let _ = writeln!(
            y,
            "  - name: creds_{n:03}\n    token: env:{}\n    business_id: \"{}\"\n    whatsapp_business_account: \"{}\"\n    phone_number: \"{}\"",
            token_var(b),
            business_id(b),
            waba_id(b, w),
            number_digits(n)
        );
    }
    y.push_str("channel_configurations:\n");
    for c in 0..shape.channels {
        let k = c % shape.numbers.max(shape.credentials);
        let n = k % shape.credentials;
        let _ = writeln!(
            y,
            "  - name: Channel_{c:05}\n    description: Generated configuration {c}\n    channel: whatsapp\n    marketing_actions: [emailTargeting, whatsappPromotions]\n    credentials: creds_{n:03}\n    sender_number: \"{}\"",
            number_digits(k)
        );
    }
    y
}

/// Peak resident memory of this process so far, in KiB (`VmHWM`). Used by the plan bench only.
#[allow(dead_code)]
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}
