//! Secret references (`env:NAME`, `file:PATH`) and token fingerprints. A resolved token is held
//! only in memory by the command that needs it; what is stored or printed is its fingerprint.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

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

/// The largest secret file read: a token is small, a bigger file is a mistake (or `/dev/zero`).
pub const MAX_SECRET_FILE_BYTES: u64 = 64 * 1024;

/// How long reading one secret file may take before it is abandoned (a FIFO swapped in after
/// the check, a hung network file system).
pub const SECRET_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Which directories `file:` secrets may be read from: the operator's decision, never the
/// configuration's. A configuration names its secrets relative to its own directory tree; a
/// file that resolves (symlinks and `..` followed) outside every allowed directory is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretAccess {
    /// Canonical directories; `None`: any path (a reference the operator typed on the command
    /// line, such as `discover --token file:PATH`).
    roots: Option<Vec<PathBuf>>,
}

impl SecretAccess {
    /// Any path: for references the operator gave, not the configuration.
    pub fn anywhere() -> Self {
        Self { roots: None }
    }

    /// Files under the configuration's directory `config_root` or one of `allowed` (the
    /// operator's `--secret-dir`/`WACFG_SECRET_DIRS`). Directories that do not exist allow
    /// nothing.
    pub fn within(config_root: &Path, allowed: &[PathBuf]) -> Self {
        let roots = std::iter::once(config_root)
            .chain(allowed.iter().map(PathBuf::as_path))
            .filter_map(|dir| std::fs::canonicalize(dir).ok())
            .collect();
        Self { roots: Some(roots) }
    }

    fn permits(&self, canonical: &Path) -> bool {
        self.roots
            .as_ref()
            .is_none_or(|roots| roots.iter().any(|root| canonical.starts_with(root)))
    }

    /// The canonical path of a file the configuration names (a template header's media),
    /// when it lies inside the allowed directories; why not otherwise (a missing file outside
    /// is refused as outside, so the message does not say which files exist elsewhere).
    pub fn confine(&self, path: &Path) -> Result<PathBuf, String> {
        let outside = |resolved: &Path| {
            format!(
                "{} resolves to {}, outside the directories files may be read from ({}): a `file:` must stay inside the configuration's directory tree; the operator may allow another with --secret-dir DIR or WACFG_SECRET_DIRS (the file alone cannot)",
                path.display(),
                resolved.display(),
                self.describe_roots()
            )
        };
        match std::fs::canonicalize(path) {
            Ok(resolved) if self.permits(&resolved) => Ok(resolved),
            Ok(resolved) => Err(outside(&resolved)),
            Err(_) if !self.permits(&lexical(path)) => Err(outside(&lexical(path))),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    fn describe_roots(&self) -> String {
        match &self.roots {
            Some(roots) if !roots.is_empty() => roots
                .iter()
                .map(|r| r.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            _ => "(none)".to_string(),
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
    #[error(
        "the token file {path} resolves to {resolved}, outside the directories secrets may be read from ({allowed}): a `file:` reference must stay inside the configuration's directory tree; to allow another directory, the operator passes --secret-dir DIR or sets WACFG_SECRET_DIRS (the file alone cannot)"
    )]
    Outside {
        path: String,
        resolved: String,
        allowed: String,
    },
    #[error(
        "the token file {path} is not a regular file (it is {what}): point `file:` at a file holding the token"
    )]
    NotRegular { path: String, what: &'static str },
    #[error(
        "the token file {path} is larger than 64 KiB ({size} bytes): a token is small; point `file:` at a file holding only the token"
    )]
    TooBig { path: String, size: u64 },
    #[error("the token file {0} is not UTF-8 text")]
    NotText(String),
    #[error("reading the token file {0} took longer than 5 seconds; gave up")]
    Timeout(String),
}

impl SecretRef {
    /// Read the secret now (plan or apply time, never validate time). A `file:` secret must
    /// resolve inside `access`, be a regular file of at most [`MAX_SECRET_FILE_BYTES`], and
    /// be read within [`SECRET_READ_TIMEOUT`].
    pub fn resolve(&self, access: &SecretAccess) -> Result<String, SecretError> {
        match self {
            SecretRef::Env(name) => match std::env::var(name) {
                Ok(v) if v.trim().is_empty() => Err(SecretError::EmptyEnv(name.clone())),
                Ok(v) => Ok(v.trim().to_string()),
                Err(_) => Err(SecretError::MissingEnv(name.clone())),
            },
            SecretRef::File(path) => {
                let shown = path.display().to_string();
                let resolved = match std::fs::canonicalize(path) {
                    Ok(resolved) => resolved,
                    // A missing file outside is refused as outside: the error does not tell a
                    // file's author which files exist elsewhere.
                    Err(_) if !access.permits(&lexical(path)) => {
                        return Err(SecretError::Outside {
                            path: shown,
                            resolved: lexical(path).display().to_string(),
                            allowed: access.describe_roots(),
                        });
                    }
                    Err(source) => {
                        return Err(SecretError::File {
                            path: shown,
                            source,
                        });
                    }
                };
                if !access.permits(&resolved) {
                    return Err(SecretError::Outside {
                        path: shown,
                        resolved: resolved.display().to_string(),
                        allowed: access.describe_roots(),
                    });
                }
                let text = read_bounded_with_timeout(resolved, shown.clone())?;
                let token = text.trim();
                if token.is_empty() {
                    return Err(SecretError::EmptyFile(shown));
                }
                Ok(token.to_string())
            }
        }
    }
}

/// Where a path that does not exist (so cannot be canonicalised) would be: made absolute,
/// `.` and `..` removed, then its deepest existing ancestor canonicalised (symlinks followed)
/// and the missing rest appended.
fn lexical(path: &Path) -> PathBuf {
    let normal = normalise(path);
    for ancestor in normal.ancestors().skip(1) {
        if let Ok(real) = std::fs::canonicalize(ancestor) {
            return normal
                .strip_prefix(ancestor)
                .map_or(normal.clone(), |rest| real.join(rest));
        }
    }
    normal
}

/// `path` made absolute with `.` and `..` removed, without touching the file system.
fn normalise(path: &Path) -> PathBuf {
    use std::path::Component;
    let absolute = std::env::current_dir().unwrap_or_default().join(path);
    let mut out = PathBuf::new();
    for part in absolute.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// [`read_bounded`] on a helper thread, abandoned after [`SECRET_READ_TIMEOUT`].
fn read_bounded_with_timeout(path: PathBuf, shown: String) -> Result<String, SecretError> {
    let name = shown.clone();
    within(SECRET_READ_TIMEOUT, shown, move || {
        read_bounded(&path, name)
    })
}

/// Run `read` on a helper thread and give up on it after `limit` (a read that blocks, on a
/// hung network mount say, is left behind). `shown` names the file in the timeout error.
fn within(
    limit: Duration,
    shown: String,
    read: impl FnOnce() -> Result<String, SecretError> + Send + 'static,
) -> Result<String, SecretError> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(read());
    });
    rx.recv_timeout(limit)
        .unwrap_or(Err(SecretError::Timeout(shown)))
}

/// A regular file of at most [`MAX_SECRET_FILE_BYTES`], as text. The type and size are
/// checked before opening (a FIFO is never opened, `/dev/zero` never read) and again on the
/// opened file; at most one byte more than the limit is read.
fn read_bounded(path: &Path, shown: String) -> Result<String, SecretError> {
    use std::io::Read;
    let io = |source| SecretError::File {
        path: shown.clone(),
        source,
    };
    let check = |meta: &std::fs::Metadata| {
        if !meta.is_file() {
            return Err(SecretError::NotRegular {
                path: shown.clone(),
                what: file_kind(meta),
            });
        }
        if meta.len() > MAX_SECRET_FILE_BYTES {
            return Err(SecretError::TooBig {
                path: shown.clone(),
                size: meta.len(),
            });
        }
        Ok(())
    };
    check(&std::fs::metadata(path).map_err(io)?)?;
    let file = std::fs::File::open(path).map_err(io)?;
    check(&file.metadata().map_err(io)?)?;
    let mut bytes = Vec::new();
    file.take(MAX_SECRET_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_SECRET_FILE_BYTES {
        return Err(SecretError::TooBig {
            path: shown,
            size: bytes.len() as u64,
        });
    }
    String::from_utf8(bytes).map_err(|_| SecretError::NotText(shown))
}

fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if meta.is_dir() {
        "a directory"
    } else {
        "not a regular file"
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
    fn file_secrets_stay_inside_the_allowed_directories() {
        let tree = tempfile::tempdir().unwrap();
        let other = tempfile::tempdir().unwrap();
        std::fs::write(tree.path().join("t"), "fake-token-inside\n").unwrap();
        std::fs::write(other.path().join("t"), "fake-token-outside").unwrap();
        let inside = SecretRef::File(tree.path().join("t"));
        let outside = SecretRef::File(other.path().join("t"));
        let dotdot = SecretRef::File(tree.path().join("..").join(other.path()).join("t"));
        let strict = SecretAccess::within(tree.path(), &[]);
        assert_eq!(inside.resolve(&strict).unwrap(), "fake-token-inside");
        for r in [&outside, &dotdot] {
            let err = r.resolve(&strict).unwrap_err().to_string();
            assert!(
                err.contains("outside") && err.contains("--secret-dir"),
                "{err}"
            );
            assert!(!err.contains("fake-token"), "{err}");
        }
        let allowed = SecretAccess::within(tree.path(), &[other.path().to_path_buf()]);
        assert_eq!(outside.resolve(&allowed).unwrap(), "fake-token-outside");
        assert_eq!(
            outside.resolve(&SecretAccess::anywhere()).unwrap(),
            "fake-token-outside"
        );
    }

    #[test]
    fn a_secret_read_that_blocks_is_abandoned_at_its_limit() {
        // The error says 5 seconds: the limit must stay what it says.
        assert_eq!(SECRET_READ_TIMEOUT, Duration::from_secs(5));
        // A read that never returns (until the test ends), given 50 ms.
        let (release, blocked) = std::sync::mpsc::channel::<()>();
        let started = std::time::Instant::now();
        let err = within(Duration::from_millis(50), "secrets/t".into(), move || {
            let _ = blocked.recv();
            Ok("fake-token-never".into())
        })
        .unwrap_err();
        let took = started.elapsed();
        assert!(matches!(err, SecretError::Timeout(_)), "{err}");
        assert_eq!(
            err.to_string(),
            "reading the token file secrets/t took longer than 5 seconds; gave up"
        );
        assert!(took >= Duration::from_millis(50), "{took:?}");
        assert!(took < Duration::from_secs(2), "gave up late: {took:?}");
        drop(release);
        // A read that answers in time is its answer.
        let ok = within(Duration::from_secs(5), "secrets/t".into(), || {
            Ok("fake-token-quick".into())
        });
        assert_eq!(ok.unwrap(), "fake-token-quick");
    }

    #[test]
    fn file_secrets_are_small_regular_files() {
        let tree = tempfile::tempdir().unwrap();
        let access = SecretAccess::within(tree.path(), &[]);
        let at_limit = tree.path().join("limit");
        std::fs::write(&at_limit, "a".repeat(64 * 1024)).unwrap();
        assert_eq!(
            SecretRef::File(at_limit).resolve(&access).unwrap().len(),
            64 * 1024
        );
        let big = tree.path().join("big");
        std::fs::write(&big, "a".repeat(64 * 1024 + 1)).unwrap();
        let err = SecretRef::File(big).resolve(&access).unwrap_err();
        assert!(matches!(err, SecretError::TooBig { .. }), "{err}");
        let err = SecretRef::File(tree.path().to_path_buf())
            .resolve(&access)
            .unwrap_err();
        assert!(err.to_string().contains("a directory"), "{err}");
        let err = SecretRef::File("/dev/zero".into())
            .resolve(&SecretAccess::anywhere())
            .unwrap_err();
        assert!(err.to_string().contains("a device"), "{err}");
    }

    #[test]
    fn fingerprint_is_sha256_hex_and_never_the_token() {
        let fp = TokenFingerprint::of("fake-token-for-tests");
        assert!(fp.0.starts_with("sha256:"));
        assert_eq!(fp.0.len(), 7 + 64);
        assert!(!fp.0.contains("fake-token"));
        assert_eq!(fp.short().len(), 15);
    }
}
