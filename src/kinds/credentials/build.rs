//! Credentials entries of a valid configuration as `DesiredCredentials`.

use std::collections::BTreeMap;
use std::path::Path;

use super::model::DesiredCredentials;
use crate::config::SourceFile;
use crate::rules::{secret_ref, source_of, text};

pub fn build(files: &[SourceFile], base_dir: &Path) -> BTreeMap<String, DesiredCredentials> {
    super::rules::entries_of(files)
        .iter()
        .map(|entry| DesiredCredentials {
            name: text(entry, "name").unwrap_or_default(),
            token: secret_ref(entry.node.get_str("token").unwrap_or_default(), base_dir),
            business_id: text(entry, "business_id").unwrap_or_default(),
            waba_id: text(entry, "whatsapp_business_account").unwrap_or_default(),
            phone_number: text(entry, "phone_number").unwrap_or_default(),
            source: source_of(entry),
        })
        .map(|c| (c.name.clone(), c))
        .collect()
}
