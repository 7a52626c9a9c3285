//! Turning a tree with no errors into the typed `Desired` model: the settings with their
//! defaults, each kind's entries (built by the kind), the digest of the loaded bytes.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::config::{Node, SourceFile, Value};
use crate::kinds::{Desired, DesiredResources, KINDS, channel_configuration};
use crate::model::{MetaSettings, Safety, StateSettings};
use crate::rules::{resolve, secret_ref};

/// Build the model. Call only when validation found no error: missing pieces take defaults.
pub fn build(files: &[SourceFile], base_dir: &Path) -> Desired {
    let top = |key: &str| files.iter().find_map(|f| f.tree.as_ref()?.get(key));
    let mut marketing_actions: Vec<String> = channel_configuration::declared_actions(files)
        .into_iter()
        .collect();
    marketing_actions.dedup();
    let mut desired = Desired {
        meta: meta(top("meta")),
        state: state(top("state"), base_dir),
        safety: safety(top("safety")),
        marketing_actions,
        moved: super::moved::build(files),
        resources: DesiredResources::default(),
        config_digest: digest(files),
        environment: top("environment")
            .and_then(Node::as_str)
            .map(str::to_string),
    };
    for kind in KINDS {
        kind.build(files, base_dir, &mut desired);
    }
    desired
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
            url: secret_ref(get("url").unwrap_or_default(), base_dir),
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
