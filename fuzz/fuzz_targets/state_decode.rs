//! Fuzz target: any bytes as a state file. Reading must never panic; what reads back must
//! write and read again unchanged, and agree with the serial-only read a write relies on.
//! Random bytes rarely carry a valid checksum, so a JSON object input is also sealed (as
//! format 1 with its canonical checksum, and as format 2 when it type-checks) to reach the
//! upgrade and type-check paths behind the checksum.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use wacfg::state::StateDocument;
use wacfg::state::canonical::{
    Origin, checksum_of, decode, encode, seal_and_encode, verified_serial,
};

fn check(bytes: &[u8]) {
    let origin = Origin {
        location: "fuzz.state.json".into(),
        restore: "no backup".into(),
    };
    let Ok(doc) = decode(bytes, &origin) else {
        return;
    };
    let again = decode(&encode(&doc), &origin).expect("a document read back reads again");
    assert_eq!(again, doc, "a document changed on its way through encode");
    if let Ok(serial) = verified_serial(bytes, &origin) {
        assert_eq!(serial, doc.serial, "the serial-only read disagrees");
    }
}

fuzz_target!(|bytes: &[u8]| {
    check(bytes);
    let Ok(Value::Object(mut map)) = serde_json::from_slice::<Value>(bytes) else {
        return;
    };
    if let Ok(mut doc) = serde_json::from_value::<StateDocument>(Value::Object(map.clone())) {
        check(&seal_and_encode(&mut doc));
    }
    map.insert("format_version".into(), 1.into());
    map.remove("checksum");
    let sum = checksum_of(&Value::Object(map.clone()));
    map.insert("checksum".into(), sum.into());
    check(&serde_json::to_vec(&Value::Object(map)).unwrap_or_default());
});
