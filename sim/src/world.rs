//! The simulated world: tokens, business portfolios, their WABAs and phone numbers, the app
//! whose webhooks they feed and the callback overrides set on them.
//!
//! Owns the YAML shape (documented in sim/README.md), its validation and the id index the
//! server uses to find a node in O(1). It does no I/O beyond `from_path` and knows nothing of
//! HTTP.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::templates::{Ledger, MessageTemplate, TemplateReview};

/// Why a world file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    #[error("cannot read world file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("world file is not valid YAML for a world: {0}")]
    Parse(String),
    #[error("world is inconsistent: {0}")]
    Invalid(String),
}

/// Everything the simulator knows: who can call it and what they can see.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct World {
    #[serde(default)]
    pub tokens: Vec<Token>,
    #[serde(default)]
    pub businesses: Vec<Business>,
    /// The app every token calls as: what `subscribed_apps` lists.
    #[serde(default)]
    pub app: App,
    /// How submitted templates are decided (absent: approved at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_review: Option<TemplateReview>,
    /// What happened while the simulator ran (not part of the file).
    #[serde(skip)]
    pub ledger: Ledger,
}

/// The Meta app the tokens belong to (one per world).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct App {
    pub id: String,
    pub name: String,
    /// The app-level callback URL (`webhook_configuration.application`); absent = not set.
    pub callback_url: Option<String>,
}

impl Default for App {
    fn default() -> App {
        App {
            id: "1000000000000001".into(),
            name: "wacfg-sim".into(),
            callback_url: None,
        }
    }
}

/// A callback override set on a WABA or a phone number. The verify token is write-only:
/// no Graph route returns it.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CallbackOverride {
    pub override_callback_uri: String,
    #[serde(default)]
    pub verify_token: Option<String>,
}

/// An access token a client may send. Its `value` is a secret: never logged or counted by it.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Token {
    pub value: String,
    /// A name for counters and logs (defaults to `token-N`, N its position).
    #[serde(default)]
    pub label: Option<String>,
    /// false = revoked / invalidated: every call with it answers 190.
    #[serde(default = "yes")]
    pub valid: bool,
    /// RFC 3339; absent = never expires.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// RFC 3339; absent = a fixed date in the past.
    #[serde(default)]
    pub issued_at: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Business portfolio ids this token can see (with their WABAs and numbers).
    #[serde(default)]
    pub businesses: Vec<String>,
    /// The system user behind the token (`/me`, `debug_token.user_id`).
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub user_name: Option<String>,
    #[serde(default)]
    pub app_id: Option<String>,
    #[serde(default)]
    pub application: Option<String>,
}

fn yes() -> bool {
    true
}

/// A business portfolio.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Business {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub verification_status: Option<String>,
    #[serde(default)]
    pub owned_whatsapp_business_accounts: Vec<Waba>,
    /// WABAs owned by another business and shared with this one.
    #[serde(default)]
    pub client_whatsapp_business_accounts: Vec<Waba>,
}

/// A WhatsApp Business Account.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Waba {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub timezone_id: Option<String>,
    #[serde(default)]
    pub message_template_namespace: Option<String>,
    #[serde(default)]
    pub account_review_status: Option<String>,
    #[serde(default)]
    pub business_verification_status: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub ownership_type: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub phone_numbers: Vec<PhoneNumber>,
    /// The world's app receives this WABA's webhooks (`POST /{waba-id}/subscribed_apps`).
    #[serde(default)]
    pub subscribed: bool,
    /// The WABA-level callback override; needs `subscribed: true`.
    #[serde(default)]
    pub webhook_override: Option<CallbackOverride>,
    /// Its message templates, one entry per name and language.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub message_templates: Vec<MessageTemplate>,
}

/// A business phone number. Every field but `id` is optional: absent fields are not sent,
/// as Meta omits fields without a value.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PhoneNumber {
    pub id: String,
    #[serde(default)]
    pub display_phone_number: Option<String>,
    #[serde(default)]
    pub verified_name: Option<String>,
    #[serde(default)]
    pub quality_rating: Option<String>,
    /// The level only; served as `{"level": ...}`.
    #[serde(default)]
    pub throughput: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub name_status: Option<String>,
    #[serde(default)]
    pub new_name_status: Option<String>,
    #[serde(default)]
    pub code_verification_status: Option<String>,
    #[serde(default)]
    pub messaging_limit_tier: Option<String>,
    #[serde(default)]
    pub whatsapp_business_manager_messaging_limit: Option<String>,
    #[serde(default)]
    pub platform_type: Option<String>,
    #[serde(default)]
    pub account_mode: Option<String>,
    #[serde(default)]
    pub is_official_business_account: Option<bool>,
    #[serde(default)]
    pub is_pin_enabled: Option<bool>,
    #[serde(default)]
    pub search_visibility: Option<String>,
    #[serde(default)]
    pub last_onboarded_time: Option<String>,
    /// Newer fields Meta serves: `CLOUD_API`, … (raw).
    #[serde(default)]
    pub host_platform: Option<String>,
    /// The business username, when one is set.
    #[serde(default)]
    pub username: Option<String>,
    /// `unified_cert_status` (raw).
    #[serde(default)]
    pub unified_cert_status: Option<String>,
    /// The number-level callback override; needs its WABA `subscribed: true`.
    #[serde(default)]
    pub webhook_override: Option<CallbackOverride>,
}

impl World {
    /// Parses and checks a world written in YAML.
    pub fn from_yaml(text: &str) -> Result<World, WorldError> {
        let mut world: World =
            serde_saphyr::from_str(text).map_err(|e| WorldError::Parse(e.to_string()))?;
        world.assign_template_ids();
        world.check()?;
        Ok(world)
    }

    /// Reads a world file.
    pub fn from_path(path: &Path) -> Result<World, WorldError> {
        let text = std::fs::read_to_string(path).map_err(|source| WorldError::Read {
            path: path.display().to_string(),
            source,
        })?;
        World::from_yaml(&text)
    }

    /// Ids are unique across all nodes, token values are unique, dates parse, and tokens
    /// name only businesses that exist.
    pub fn check(&self) -> Result<(), WorldError> {
        let mut ids = BTreeSet::new();
        for b in &self.businesses {
            unique(&mut ids, &b.id)?;
            for w in b.wabas() {
                unique(&mut ids, &w.id)?;
                check_override(&w.id, w.subscribed, &w.webhook_override)?;
                for n in &w.phone_numbers {
                    unique(&mut ids, &n.id)?;
                    check_override(&n.id, w.subscribed, &n.webhook_override)?;
                }
                let mut names = BTreeSet::new();
                for t in &w.message_templates {
                    unique(&mut ids, &t.id)?;
                    if !names.insert((&t.name, &t.language)) {
                        return Err(WorldError::Invalid(format!(
                            "WABA {}: template {} in {} appears twice (name and language identify a template)",
                            w.id, t.name, t.language
                        )));
                    }
                }
            }
        }
        let mut values = BTreeSet::new();
        for (i, t) in self.tokens.iter().enumerate() {
            if !values.insert(t.value.as_str()) {
                return Err(WorldError::Invalid(format!(
                    "token #{} repeats the value of an earlier token",
                    i + 1
                )));
            }
            for field in [&t.expires_at, &t.issued_at].into_iter().flatten() {
                parse_time(field).map_err(|_| {
                    WorldError::Invalid(format!(
                        "token {}: date {field:?} is not RFC 3339 (e.g. 2027-01-01T00:00:00Z)",
                        t.label_or(i)
                    ))
                })?;
            }
            for b in &t.businesses {
                if !self.businesses.iter().any(|x| &x.id == b) {
                    return Err(WorldError::Invalid(format!(
                        "token {} names business {b} which the world does not have",
                        t.label_or(i)
                    )));
                }
            }
        }
        Ok(())
    }

    /// Gives every template without an id a fresh one (ids of the file are kept).
    pub fn assign_template_ids(&mut self) {
        let mut n = 1_200_000_000_000_000u64;
        let mut missing = 0;
        for w in self.wabas_mut() {
            missing += w
                .message_templates
                .iter()
                .filter(|t| t.id.is_empty())
                .count();
        }
        if missing == 0 {
            return;
        }
        let mut fresh = Vec::new();
        while fresh.len() < missing {
            n += 1;
            let id = n.to_string();
            if !self.has_id(&id) {
                fresh.push(id);
            }
        }
        let mut fresh = fresh.into_iter();
        for w in self.wabas_mut() {
            for t in w.message_templates.iter_mut().filter(|t| t.id.is_empty()) {
                t.id = fresh.next().unwrap_or_default();
            }
        }
    }

    /// True when a business, WABA, number or template has this id.
    pub fn has_id(&self, id: &str) -> bool {
        self.businesses.iter().any(|b| b.id == id)
            || self.wabas().any(|w| {
                w.id == id
                    || w.phone_numbers.iter().any(|n| n.id == id)
                    || w.message_templates.iter().any(|t| t.id == id)
            })
    }

    /// Finds a template anywhere in the world.
    pub fn template_mut(&mut self, id: &str) -> Option<&mut MessageTemplate> {
        self.wabas_mut()
            .flat_map(|w| w.message_templates.iter_mut())
            .find(|t| t.id == id)
    }

    /// The WABA a template belongs to.
    pub fn waba_with_template_mut(&mut self, id: &str) -> Option<&mut Waba> {
        self.wabas_mut()
            .find(|w| w.message_templates.iter().any(|t| t.id == id))
    }

    /// Finds a phone number anywhere in the world.
    pub fn number_mut(&mut self, id: &str) -> Option<&mut PhoneNumber> {
        self.wabas_mut()
            .flat_map(|w| w.phone_numbers.iter_mut())
            .find(|n| n.id == id)
    }

    /// Finds a WABA anywhere in the world.
    pub fn waba_mut(&mut self, id: &str) -> Option<&mut Waba> {
        self.wabas_mut().find(|w| w.id == id)
    }

    pub fn wabas_mut(&mut self) -> impl Iterator<Item = &mut Waba> {
        self.businesses.iter_mut().flat_map(|b| {
            b.owned_whatsapp_business_accounts
                .iter_mut()
                .chain(b.client_whatsapp_business_accounts.iter_mut())
        })
    }

    /// Removes a number from its WABA; true when it was there.
    pub fn remove_number(&mut self, id: &str) -> bool {
        let mut removed = false;
        for w in self.wabas_mut() {
            let before = w.phone_numbers.len();
            w.phone_numbers.retain(|n| n.id != id);
            removed |= w.phone_numbers.len() != before;
        }
        removed
    }

    /// The WABA a phone number belongs to.
    pub fn waba_with_number_mut(&mut self, number: &str) -> Option<&mut Waba> {
        self.wabas_mut()
            .find(|w| w.phone_numbers.iter().any(|n| n.id == number))
    }

    /// Every WABA of the world, in file order.
    pub fn wabas(&self) -> impl Iterator<Item = &Waba> {
        self.businesses.iter().flat_map(Business::wabas)
    }

    pub fn token_mut(&mut self, value: &str) -> Option<&mut Token> {
        self.tokens.iter_mut().find(|t| t.value == value)
    }
}

impl Business {
    /// Owned then client WABAs.
    pub fn wabas(&self) -> impl Iterator<Item = &Waba> {
        self.owned_whatsapp_business_accounts
            .iter()
            .chain(self.client_whatsapp_business_accounts.iter())
    }
}

impl Token {
    /// The label used in counters: never the value.
    pub fn label_or(&self, index: usize) -> String {
        self.label
            .clone()
            .unwrap_or_else(|| format!("token-{}", index + 1))
    }

    /// Unix seconds of expiry; None = never.
    pub fn expires_unix(&self) -> Option<i64> {
        self.expires_at
            .as_deref()
            .and_then(|s| parse_time(s).ok())
            .map(|t| t.unix_timestamp())
    }

    pub fn issued_unix(&self) -> i64 {
        self.issued_at
            .as_deref()
            .and_then(|s| parse_time(s).ok())
            .map_or(1_735_689_600, |t| t.unix_timestamp())
    }
}

/// An override needs a callback URL and the WABA's subscription, as Meta refuses it otherwise.
fn check_override(
    id: &str,
    subscribed: bool,
    o: &Option<CallbackOverride>,
) -> Result<(), WorldError> {
    let Some(o) = o else { return Ok(()) };
    if o.override_callback_uri.is_empty() {
        return Err(WorldError::Invalid(format!(
            "{id}: webhook_override.override_callback_uri is empty (leave webhook_override out instead)"
        )));
    }
    if !subscribed {
        return Err(WorldError::Invalid(format!(
            "{id}: a webhook_override needs the WABA to be subscribed (subscribed: true)"
        )));
    }
    Ok(())
}

fn unique<'a>(ids: &mut BTreeSet<&'a str>, id: &'a str) -> Result<(), WorldError> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(WorldError::Invalid(format!(
            "id {id:?} must be digits only, as Graph ids are"
        )));
    }
    if !ids.insert(id) {
        return Err(WorldError::Invalid(format!("id {id} appears twice")));
    }
    Ok(())
}

pub fn parse_time(s: &str) -> Result<OffsetDateTime, time::error::Parse> {
    OffsetDateTime::parse(s, &Rfc3339)
}

/// Where a node lives in the world, by positions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loc {
    Business(usize),
    /// business, owned (false) or client (true), waba position
    Waba(usize, bool, usize),
    Number(usize, bool, usize, usize),
    /// business, owned or client, waba position, template position
    Template(usize, bool, usize, usize),
}

/// Lookup tables rebuilt whenever the world changes.
#[derive(Debug, Default)]
pub struct Index {
    pub nodes: HashMap<String, Loc>,
    /// node id -> business ids whose tokens may see it
    pub visible_to: HashMap<String, Vec<String>>,
    pub tokens: HashMap<String, usize>,
}

impl Index {
    pub fn build(world: &World) -> Index {
        let mut ix = Index::default();
        for (bi, b) in world.businesses.iter().enumerate() {
            ix.nodes.insert(b.id.clone(), Loc::Business(bi));
            ix.visible_to.insert(b.id.clone(), vec![b.id.clone()]);
            for (client, list) in [
                (false, &b.owned_whatsapp_business_accounts),
                (true, &b.client_whatsapp_business_accounts),
            ] {
                for (wi, w) in list.iter().enumerate() {
                    // A client WABA is visible to the business it is shared with.
                    let who = vec![b.id.clone()];
                    ix.nodes
                        .entry(w.id.clone())
                        .or_insert(Loc::Waba(bi, client, wi));
                    add_visible(&mut ix.visible_to, &w.id, &who);
                    for (ni, n) in w.phone_numbers.iter().enumerate() {
                        ix.nodes
                            .entry(n.id.clone())
                            .or_insert(Loc::Number(bi, client, wi, ni));
                        add_visible(&mut ix.visible_to, &n.id, &who);
                    }
                    for (ti, t) in w.message_templates.iter().enumerate() {
                        ix.nodes
                            .entry(t.id.clone())
                            .or_insert(Loc::Template(bi, client, wi, ti));
                        add_visible(&mut ix.visible_to, &t.id, &who);
                    }
                }
            }
        }
        for (i, t) in world.tokens.iter().enumerate() {
            ix.tokens.insert(t.value.clone(), i);
        }
        ix
    }
}

fn add_visible(map: &mut HashMap<String, Vec<String>>, id: &str, who: &[String]) {
    let entry = map.entry(id.to_string()).or_default();
    for w in who {
        if !entry.contains(w) {
            entry.push(w.clone());
        }
    }
}

/// Resolves positions back to references.
impl World {
    pub fn business_at(&self, bi: usize) -> &Business {
        &self.businesses[bi]
    }

    pub fn waba_at(&self, bi: usize, client: bool, wi: usize) -> &Waba {
        let b = &self.businesses[bi];
        if client {
            &b.client_whatsapp_business_accounts[wi]
        } else {
            &b.owned_whatsapp_business_accounts[wi]
        }
    }
}
