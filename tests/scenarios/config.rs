//! Configuration files for the scenarios, built from small pieces so each test states only
//! what it changes.

/// One channel configuration entry.
#[derive(Clone)]
pub struct Channel {
    pub name: String,
    pub description: String,
    pub sender: Option<String>,
    pub status: &'static str,
    pub prevent_destroy: bool,
}

/// An active configuration sending from `sender` with the acme_fr credentials.
pub fn active(name: &str, description: &str, sender: &str) -> Channel {
    Channel {
        name: name.into(),
        description: description.into(),
        sender: Some(sender.into()),
        status: "active",
        prevent_destroy: false,
    }
}

pub fn draft(name: &str, description: &str) -> Channel {
    Channel {
        name: name.into(),
        description: description.into(),
        sender: None,
        status: "draft",
        prevent_destroy: false,
    }
}

impl Channel {
    pub fn sender(mut self, sender: &str) -> Channel {
        self.sender = Some(sender.into());
        self
    }

    pub fn description(mut self, d: &str) -> Channel {
        self.description = d.into();
        self
    }

    pub fn guarded(mut self) -> Channel {
        self.prevent_destroy = true;
        self
    }

    fn yaml(&self) -> String {
        let mut s = format!(
            "  - name: {}\n    description: {}\n    channel: whatsapp\n",
            self.name, self.description
        );
        if let Some(sender) = &self.sender {
            s += &format!(
                "    marketing_actions: [emailTargeting]\n    credentials: acme_fr\n    sender_number: \"{sender}\"\n"
            );
        }
        if self.status != "active" {
            s += &format!("    status: {}\n", self.status);
        }
        if self.prevent_destroy {
            s += "    prevent_destroy: true\n";
        }
        s
    }
}

/// A configuration file: the acme_fr credentials, these channels, and an optional safety
/// section.
pub fn config(channels: &[Channel], safety: Option<(u32, u32)>) -> String {
    let mut s = String::from(
        "version: 1\n\
         credentials:\n  \
         - name: acme_fr\n    \
           token: env:WHATSAPP_TOKEN_ACME_FR\n    \
           business_id: \"1234567890123456\"\n    \
           whatsapp_business_account: \"102290129340398\"\n    \
           phone_number: \"15550100001\"\n",
    );
    if let Some((percent, min)) = safety {
        s += &format!("safety:\n  max_destructive_percent: {percent}\n  min_managed: {min}\n");
    }
    if !channels.is_empty() {
        s += "channel_configurations:\n";
        for c in channels {
            s += &c.yaml();
        }
    }
    s
}

/// Marketing_FR and Support_FR active (the two connected Acme FR numbers), Spring_Sale draft.
pub fn base_channels() -> Vec<Channel> {
    vec![
        active(
            "Marketing_FR",
            "Promotions for French customers",
            "15550100001",
        ),
        active("Support_FR", "Service messages", "15550100002"),
        draft("Spring_Sale", "Next season's campaign"),
    ]
}

pub fn base() -> String {
    config(&base_channels(), None)
}

/// The base channels without the one named.
pub fn without(name: &str) -> Vec<Channel> {
    base_channels()
        .into_iter()
        .filter(|c| c.name != name)
        .collect()
}

/// The base channels with the one named replaced.
pub fn replacing(name: &str, f: impl Fn(Channel) -> Channel) -> Vec<Channel> {
    base_channels()
        .into_iter()
        .map(|c| if c.name == name { f(c) } else { c })
        .collect()
}
