//! Turning a tree with no errors into the typed `Desired` model: defaults filled in, relative
//! paths resolved against the configuration's directory, the digest of the loaded bytes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::util::{Entry, entries};
use crate::config::{Node, SourceFile, Value};
use crate::model::desired::SourceLocation;
use crate::model::{
    Desired, DesiredChannel, DesiredCredentials, DesiredStatus, MetaSettings, Safety, SecretRef,
    StateSettings,
};

/// Build the model. Call only when validation found no error: missing pieces take defaults.
pub fn build(files: &[SourceFile], base_dir: &Path) -> Desired {
    let top = |key: &str| files.iter().find_map(|f| f.tree.as_ref()?.get(key));
    let mut marketing_actions: Vec<String> =
        super::refs::declared_actions(files).into_iter().collect();
    marketing_actions.dedup();
    Desired {
        meta: meta(top("meta")),
        state: state(top("state"), base_dir),
        safety: safety(top("safety")),
        marketing_actions,
        credentials: entries(files, "credentials")
            .iter()
            .map(|e| credentials(e, base_dir))
            .map(|c| (c.name.clone(), c))
            .collect(),
        channel_configurations: entries(files, "channel_configurations")
            .iter()
            .map(channel)
            .map(|c| (c.name.clone(), c))
            .collect::<BTreeMap<_, _>>(),
        config_digest: digest(files),
    }
}

/// `sha256:<hex>` over each file's name and bytes, in load order.
pub fn digest(files: &[SourceFile]) -> String {
    let mut hasher = Sha256::new();
    for file in files {
        let name = file
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        hasher.update((name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher.update((file.bytes.len() as u64).to_le_bytes());
        hasher.update(&file.bytes);
    }
    format!("sha256:{}", hex::encode(hasher.finalize()))
}

fn meta(node: Option<&Node>) -> MetaSettings {
    let defaults = MetaSettings::default();
    let get = |key: &str| node.and_then(|n| n.get_str(key)).map(str::to_string);
    MetaSettings {
        graph_url: get("graph_url").unwrap_or(defaults.graph_url),
        api_version: get("api_version").unwrap_or(defaults.api_version),
    }
}

fn state(node: Option<&Node>, base_dir: &Path) -> StateSettings {
    let get = |key: &str| node.and_then(|n| n.get_str(key));
    match get("backend") {
        Some("postgres") => StateSettings::Postgres {
            url: secret(get("url").unwrap_or_default(), base_dir),
            workspace: get("workspace").unwrap_or_default().to_string(),
        },
        _ => StateSettings::Local {
            path: resolve(base_dir, get("path").unwrap_or("wacfg.state.json")),
        },
    }
}

fn safety(node: Option<&Node>) -> Safety {
    let defaults = Safety::default();
    let get = |key: &str| match node.and_then(|n| n.get(key)).map(|n| &n.value) {
        Some(Value::Int(i)) => u32::try_from(*i).ok(),
        _ => None,
    };
    Safety {
        max_destructive_percent: get("max_destructive_percent")
            .unwrap_or(defaults.max_destructive_percent),
        min_managed: get("min_managed").unwrap_or(defaults.min_managed),
    }
}

fn resolve(base_dir: &Path, path: &str) -> PathBuf {
    let path = Path::new(path);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base_dir.join(path)
    }
}

fn secret(value: &str, base_dir: &Path) -> SecretRef {
    match value.strip_prefix("file:") {
        Some(path) => SecretRef::File(resolve(base_dir, path)),
        None => SecretRef::Env(value.strip_prefix("env:").unwrap_or(value).to_string()),
    }
}

fn source(entry: &Entry<'_>) -> SourceLocation {
    SourceLocation {
        file: entry.file.to_path_buf(),
        line: entry.node.span.line,
        column: entry.node.span.column,
    }
}

fn text(entry: &Entry<'_>, key: &str) -> Option<String> {
    entry.node.get_str(key).map(str::to_string)
}

fn credentials(entry: &Entry<'_>, base_dir: &Path) -> DesiredCredentials {
    DesiredCredentials {
        name: text(entry, "name").unwrap_or_default(),
        token: secret(entry.node.get_str("token").unwrap_or_default(), base_dir),
        business_id: text(entry, "business_id").unwrap_or_default(),
        waba_id: text(entry, "whatsapp_business_account").unwrap_or_default(),
        phone_number: text(entry, "phone_number").unwrap_or_default(),
        source: source(entry),
    }
}

fn channel(entry: &Entry<'_>) -> DesiredChannel {
    let mut actions: Vec<String> = entry
        .node
        .get("marketing_actions")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(|n| n.as_str().map(str::to_string))
        .collect();
    actions.sort();
    actions.dedup();
    let status = match entry.node.get_str("status") {
        Some("draft") => DesiredStatus::Draft,
        Some("deactivated") => DesiredStatus::Deactivated,
        _ => DesiredStatus::Active,
    };
    DesiredChannel {
        name: text(entry, "name").unwrap_or_default(),
        description: text(entry, "description"),
        marketing_actions: actions,
        credentials: text(entry, "credentials"),
        sender_number: text(entry, "sender_number"),
        execution_field: text(entry, "execution_field"),
        status,
        prevent_destroy: matches!(
            entry.node.get("prevent_destroy").map(|n| &n.value),
            Some(Value::Bool(true))
        ),
        source: source(entry),
    }
}
