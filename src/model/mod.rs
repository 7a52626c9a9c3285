//! The domain model every kind shares, as plain data: addresses, the configuration-wide
//! settings, the Observed facts (from Meta), checks, planned changes and their outcomes. No
//! I/O, no printing. Each kind's own Desired and Recorded types live in `kinds/<kind>/`.

pub mod address;
pub mod change;
pub mod check;
pub mod desired;
pub mod observed;
pub mod outcome;
pub mod secret;
pub mod time;

pub use address::{Address, ResourceKind};
pub use change::{
    Action, Attributes, Drift, Expectation, KNOWN_AFTER_APPLY, PlannedCheck, ResourceChange,
    SENSITIVE,
};
pub use check::{CheckResult, CheckStatus};
pub use desired::{MetaSettings, Moved, Safety, SourceLocation, StateSettings};
pub use observed::{
    Observed, ObservedBusiness, ObservedNumber, ObservedSubscription, ObservedTemplate,
    ObservedToken, ObservedWaba, ObservedWebhookConfig, TemplatesByName,
};
pub use outcome::{ChangeOutcome, ChangeResult, ErrorClass};
pub use secret::{MAX_SECRET_FILE_BYTES, SecretAccess, SecretError, SecretRef, TokenFingerprint};

/// The platform's core marketing actions; a configuration may also declare its own.
pub const CORE_MARKETING_ACTIONS: &[&str] = &[
    "analytics",
    "combineWithPII",
    "crossSiteTargeting",
    "dataScience",
    "emailTargeting",
    "exportToThirdParty",
    "onsiteAdvertising",
    "onsitePersonalization",
    "segmentMatch",
    "singleIdentityPersonalization",
];
