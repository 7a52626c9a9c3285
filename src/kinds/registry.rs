//! The registry: every kind, one line each, in dependency order (a kind is applied after the
//! kinds above it and removed before them). The macro derives from that list the typed
//! `RecordedResource` state holds, the per-kind maps of `Desired`, and the dispatch table.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Kind;
use crate::model::{Address, ResourceKind};

macro_rules! registry {
    ($($variant:ident / $field:ident : $module:ident :: $unit:ident ( $desired:ty, $recorded:ty ),)+) => {
        /// One resource in state, typed by its kind.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        pub enum RecordedResource {
            $($variant($recorded),)+
        }

        impl RecordedResource {
            pub fn kind(&self) -> ResourceKind {
                match self {
                    $(RecordedResource::$variant(_) => ResourceKind::$variant,)+
                }
            }

            pub fn name(&self) -> &str {
                match self {
                    $(RecordedResource::$variant(r) => &r.name,)+
                }
            }

            /// The same record under another name (a rename keeps everything else).
            pub fn renamed(&self, name: &str) -> Self {
                let mut copy = self.clone();
                match &mut copy {
                    $(RecordedResource::$variant(r) => r.name = name.to_string(),)+
                }
                copy
            }

            pub fn address(&self) -> Address {
                Address { kind: self.kind(), name: self.name().to_string() }
            }

            /// Read one resource of the kind `kind` (the address prefix of its state key).
            pub fn deserialize_as<'de, D: serde::Deserializer<'de>>(
                kind: ResourceKind,
                d: D,
            ) -> Result<Self, D::Error> {
                Ok(match kind {
                    $(ResourceKind::$variant => RecordedResource::$variant(<$recorded>::deserialize(d)?),)+
                })
            }
        }

        /// The file's resources, per kind, keyed by name.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
        pub struct DesiredResources {
            $(pub $field: BTreeMap<String, $desired>,)+
        }

        /// Every kind, in dependency order.
        pub static KINDS: &[&dyn Kind] = &[$(&super::$module::$unit,)+];

        /// The registered kind of `kind`.
        pub fn of(kind: ResourceKind) -> &'static dyn Kind {
            match kind {
                $(ResourceKind::$variant => &super::$module::$unit,)+
            }
        }
    };
}

use super::{
    channel_configuration as cc, credentials as cr, message_template as mt, webhook as wh,
};

registry! {
    Credentials / credentials: credentials::Credentials(cr::DesiredCredentials, cr::RecordedCredentials),
    Webhook / webhooks: webhook::Webhooks(wh::DesiredWebhook, wh::RecordedWebhook),
    ChannelConfiguration / channel_configurations: channel_configuration::ChannelConfigurations(cc::DesiredChannel, cc::RecordedChannel),
    MessageTemplate / message_templates: message_template::MessageTemplates(mt::DesiredTemplate, mt::RecordedTemplate),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_lists_every_address_kind_once_in_dependency_order() {
        let registered: Vec<ResourceKind> = KINDS.iter().map(|k| k.kind()).collect();
        let namespaces: Vec<ResourceKind> = ResourceKind::ALL.iter().map(|(k, _)| *k).collect();
        assert_eq!(registered, namespaces);
        for (kind, _) in ResourceKind::ALL {
            assert_eq!(of(*kind).kind(), *kind);
        }
    }
}
