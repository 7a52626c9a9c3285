//! The access token as an opaque value: it can be sent in a header and compared, but it has no
//! `Display`, and its `Debug` shows only the fingerprint, so it cannot leak through formatting.

use std::fmt;

use crate::model::TokenFingerprint;

/// A Graph API access token held in memory only.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Token(String);

impl Token {
    /// Wrap a token read from a secret reference; surrounding whitespace is dropped.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into().trim().to_string())
    }

    /// `sha256:<hex>`: what state, plans and messages may show.
    pub fn fingerprint(&self) -> TokenFingerprint {
        TokenFingerprint::of(&self.0)
    }

    /// The raw value, for the `Authorization` header, `input_token` and scrubbing only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token({})", self.fingerprint().short())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_the_fingerprint_not_the_value() {
        let token = Token::new(" test-token-acme\n");
        let shown = format!("{token:?}");
        assert!(!shown.contains("test-token-acme"), "{shown}");
        assert!(shown.starts_with("Token(sha256:"), "{shown}");
        assert_eq!(token.expose(), "test-token-acme");
        assert_eq!(token.fingerprint(), TokenFingerprint::of("test-token-acme"));
    }
}
