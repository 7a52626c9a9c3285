//! Resource addresses: `<kind>.<name>`, e.g. `credentials.acme_fr`,
//! `webhook.acme_fr_inbound`, `channel_configuration.Marketing_FR`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The address namespace of each kind wacfg manages (its behaviour is in `kinds/`). The order
/// is the dependency order, so maps of addresses iterate in it: credentials, then the webhook
/// that uses them, then the channel configurations that use both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    Credentials,
    Webhook,
    ChannelConfiguration,
    MessageTemplate,
}

impl ResourceKind {
    /// Every kind with its address prefix, in dependency order: the one table to extend.
    pub const ALL: &[(ResourceKind, &str)] = &[
        (ResourceKind::Credentials, "credentials"),
        (ResourceKind::Webhook, "webhook"),
        (ResourceKind::ChannelConfiguration, "channel_configuration"),
        (ResourceKind::MessageTemplate, "message_template"),
    ];

    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(k, _)| *k == self)
            .map_or("unknown", |(_, s)| s)
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().find(|(_, s)| *s == text).map(|(k, _)| *k)
    }
}

/// A resource's identity. Ordered by kind, then name, so maps of addresses iterate in
/// dependency order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address {
    pub kind: ResourceKind,
    pub name: String,
}

impl Address {
    pub fn credentials(name: impl Into<String>) -> Self {
        Self {
            kind: ResourceKind::Credentials,
            name: name.into(),
        }
    }

    pub fn webhook(name: impl Into<String>) -> Self {
        Self {
            kind: ResourceKind::Webhook,
            name: name.into(),
        }
    }

    pub fn message_template(name: impl Into<String>) -> Self {
        Self {
            kind: ResourceKind::MessageTemplate,
            name: name.into(),
        }
    }

    pub fn channel(name: impl Into<String>) -> Self {
        Self {
            kind: ResourceKind::ChannelConfiguration,
            name: name.into(),
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.kind.as_str(), self.name)
    }
}

/// Why a string is not an address. The forms it suggests come from [`ResourceKind::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a resource address: use {forms}", forms = address_forms())]
pub struct AddressParseError(pub String);

/// "credentials.<name>, webhook.<name>, … or message_template.<name>".
fn address_forms() -> String {
    let forms: Vec<String> = ResourceKind::ALL
        .iter()
        .map(|(_, prefix)| format!("{prefix}.<name>"))
        .collect();
    match forms.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

impl FromStr for Address {
    type Err = AddressParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (kind, name) = s
            .split_once('.')
            .ok_or_else(|| AddressParseError(s.to_string()))?;
        let kind = ResourceKind::parse(kind).ok_or_else(|| AddressParseError(s.to_string()))?;
        if name.is_empty() {
            return Err(AddressParseError(s.to_string()));
        }
        Ok(Self {
            kind,
            name: name.to_string(),
        })
    }
}

impl Serialize for Address {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_address_suggests_the_form_of_every_kind() {
        let err = "channel.Marketing_FR".parse::<Address>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "`channel.Marketing_FR` is not a resource address: use credentials.<name>, webhook.<name>, channel_configuration.<name> or message_template.<name>"
        );
    }

    #[test]
    fn address_round_trips_through_text() {
        let addr: Address = "channel_configuration.Marketing_FR".parse().unwrap();
        assert_eq!(addr, Address::channel("Marketing_FR"));
        assert_eq!(addr.to_string(), "channel_configuration.Marketing_FR");
        assert!("channel.x".parse::<Address>().is_err());
        assert!("credentials.".parse::<Address>().is_err());
    }

    #[test]
    fn credentials_sort_before_channel_configurations() {
        assert!(Address::credentials("z") < Address::channel("a"));
    }
}
