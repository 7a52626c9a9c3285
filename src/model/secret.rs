//! Secret references (`env:NAME`, `file:PATH`) and token fingerprints. A resolved token is held
//! only in memory by the command that needs it; what is stored or printed is its fingerprint.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Where a secret is read from. `File` paths are already resolved against the config file's
/// directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", content = "name", rename_all = "snake_case")]
pub enum SecretRef {
    Env(String),
    File(PathBuf),
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretRef::Env(name) => write!(f, "env:{name}"),
            SecretRef::File(path) => write!(f, "file:{}", path.display()),
        }
    }
}

/// Why a secret could not be read. Never contains the secret.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("environment variable {0} is not set: export it before running this command")]
    MissingEnv(String),
    #[error("environment variable {0} is empty: set it to the token")]
    EmptyEnv(String),
    #[error("cannot read the token file {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
    #[error("the token file {0} is empty")]
    EmptyFile(String),
}

impl SecretRef {
    /// Read the secret now (plan or apply time, never validate time).
    pub fn resolve(&self) -> Result<String, SecretError> {
        match self {
            SecretRef::Env(name) => match std::env::var(name) {
                Ok(v) if v.trim().is_empty() => Err(SecretError::EmptyEnv(name.clone())),
                Ok(v) => Ok(v.trim().to_string()),
                Err(_) => Err(SecretError::MissingEnv(name.clone())),
            },
            SecretRef::File(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| SecretError::File {
                    path: path.display().to_string(),
                    source,
                })?;
                let token = text.trim();
                if token.is_empty() {
                    return Err(SecretError::EmptyFile(path.display().to_string()));
                }
                Ok(token.to_string())
            }
        }
    }
}

/// `sha256:<hex>` of a token: enough to notice a rotation, useless to an attacker.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TokenFingerprint(pub String);

impl TokenFingerprint {
    pub fn of(token: &str) -> Self {
        let digest = Sha256::digest(token.as_bytes());
        Self(format!("sha256:{}", hex::encode(digest)))
    }

    /// A short form for human output: `sha256:1a2b3c4d`.
    pub fn short(&self) -> &str {
        let end = self.0.len().min("sha256:".len() + 8);
        &self.0[..end]
    }
}

impl fmt::Display for TokenFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_sha256_hex_and_never_the_token() {
        let fp = TokenFingerprint::of("fake-token-for-tests");
        assert!(fp.0.starts_with("sha256:"));
        assert_eq!(fp.0.len(), 7 + 64);
        assert!(!fp.0.contains("fake-token"));
        assert_eq!(fp.short().len(), 15);
    }
}
