//! Validation rules every resource kind shares, over trees with spans: walking the entries of
//! a top-level list across files, the naming rule and name uniqueness, phone numbers, secret
//! references, and "did you mean". Pure: no I/O. `validate` runs the configuration-wide
//! rules and each kind's own (in `kinds/<kind>/rules.rs`), which build on these.

mod build;
mod entry;
mod fields;
mod names;
mod suggest;

pub use build::{flag, resolve, secret_ref, source_of, strings, text};
pub use entry::{Entry, Label, at_node, entries, field_label};
pub use fields::{check_phone, check_phone_field, check_secret, check_secret_field, check_state};
pub use names::{check_name, check_names, check_unique};
pub use suggest::{closest, did_you_mean};
