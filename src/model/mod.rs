//! The domain model as plain data: addresses, the Desired configuration (from the file), the
//! Observed facts (from Meta) and the Recorded resources (from state). No I/O, no printing;
//! every other layer speaks in these types.

pub mod address;
pub mod desired;
pub mod observed;
pub mod recorded;
pub mod secret;

pub use address::{Address, ResourceKind};
pub use desired::{
    Desired, DesiredChannel, DesiredCredentials, DesiredStatus, MetaSettings, Safety, StateSettings,
};
pub use observed::{Observed, ObservedBusiness, ObservedNumber, ObservedToken, ObservedWaba};
pub use recorded::{
    ChannelSpec, ChannelStatus, CheckResult, CheckStatus, FailedUpdate, RecordedChannel,
    RecordedCredentials, RecordedResource,
};
pub use secret::{SecretRef, TokenFingerprint};

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
