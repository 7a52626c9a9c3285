//! Helpers shared by the simulator's integration tests: start the example world, call it.
#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::Value;
use wacfg_sim::{Faults, Sim, World};

pub const ACME: &str = "1234567890123456";
pub const GLOBEX: &str = "2345678901234567";
pub const WABA_FR: &str = "102290129340398";
pub const WABA_CLIENT: &str = "102290129340400";
pub const NUMBER_1: &str = "106540352242922";
pub const TOKEN: &str = "test-token-acme";

pub fn example_world() -> World {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/sim/world.yaml");
    World::from_path(&path).expect("example world loads")
}

pub async fn start() -> Sim {
    start_with(Faults::default()).await
}

pub async fn start_with(faults: Faults) -> Sim {
    Sim::start(example_world(), faults)
        .await
        .expect("sim starts")
}

/// A GET with a bearer token: (status, headers, JSON body).
pub async fn get(sim: &Sim, path: &str, token: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let resp = reqwest::Client::new()
        .get(format!("{}{path}", sim.url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("request reaches the sim");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, headers, body)
}

/// A GET by absolute URL (a `next` link), with the token in the header.
pub async fn get_url(url: &str, token: &str) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("request reaches the sim");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("JSON body"))
}

/// POST JSON to a control endpoint.
pub async fn control(sim: &Sim, path: &str, body: Value) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}/__sim/{path}", sim.url()))
        .json(&body)
        .send()
        .await
        .expect("control endpoint answers");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("JSON body"))
}
