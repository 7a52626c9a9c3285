//! The media files a configuration names (a template header's `file:` sample), read at the
//! edge for apply's uploads. The configuration is untrusted, so a path is confined as `file:`
//! secrets are (the configuration's directory tree and the operator's `--secret-dir`), must
//! be a regular file, and is read only up to the size Meta takes for it.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::kinds::{MediaFiles, PortError};
use crate::model::secret::SecretAccess;

/// Files read inside `access`.
pub struct ConfinedFiles<'a> {
    pub access: &'a SecretAccess,
}

impl MediaFiles for ConfinedFiles<'_> {
    fn read(&self, path: &Path, max_bytes: u64) -> Result<Vec<u8>, PortError> {
        let refused = |why: String| PortError::Missing(format!("the header file: {why}"));
        let resolved = self.access.confine(path).map_err(refused)?;
        let meta = std::fs::metadata(&resolved)
            .map_err(|e| refused(format!("{}: {e}", path.display())))?;
        if !meta.is_file() {
            return Err(refused(format!("{} is not a regular file", path.display())));
        }
        if meta.len() > max_bytes {
            return Err(refused(format!(
                "{} is {} bytes; Meta takes at most {max_bytes} for this header",
                path.display(),
                meta.len()
            )));
        }
        if meta.len() == 0 {
            return Err(refused(format!("{} is empty", path.display())));
        }
        let mut bytes = Vec::new();
        std::fs::File::open(&resolved)
            .and_then(|f| f.take(max_bytes + 1).read_to_end(&mut bytes))
            .map_err(|e| refused(format!("{}: {e}", path.display())))?;
        if bytes.len() as u64 > max_bytes {
            return Err(refused(format!(
                "{} grew past {max_bytes} bytes while read",
                path.display()
            )));
        }
        Ok(bytes)
    }
}

/// Record the digest of every template header's `file:` sample in `desired`, each file read
/// as apply's upload reads it (confined, its type and size checked): the plan then compares
/// the bytes a header would send, not only its path. Every file that cannot be read is named,
/// and nothing is planned: apply would fail on it after the other changes.
pub fn digest_header_files(
    desired: &mut crate::kinds::Desired,
    access: &SecretAccess,
) -> Result<(), super::CommandError> {
    use crate::kinds::message_template::media;
    let files = ConfinedFiles { access };
    let mut problems = Vec::new();
    // A file several languages or templates share is read once.
    let mut digests: BTreeMap<(PathBuf, &str), Result<String, String>> = BTreeMap::new();
    for template in desired.message_templates.values_mut() {
        for (code, lang) in &mut template.languages {
            // An `example:` handle is what is sent when both are given (see `components`).
            let Some(header) = lang.header.as_mut().filter(|h| h.example.is_empty()) else {
                continue;
            };
            let Some(path) = &header.file else { continue };
            let format = header.format.as_str();
            let digest = digests
                .entry((path.clone(), format))
                .or_insert_with(|| {
                    media::media_type(path, format)
                        .map_err(|why| format!("the header file {}: {why}", path.display()))
                        .and_then(|(_, max)| files.read(path, max).map_err(|e| e.to_string()))
                        .map(|bytes| crate::state::canonical::sha256_text(&bytes))
                })
                .clone();
            match digest {
                Ok(digest) => header.file_sha256 = Some(digest),
                Err(why) => problems.push(format!(
                    "{}:{}:{}: message template `{}` ({code}): {why}",
                    template.source.file.display(),
                    template.source.line,
                    template.source.column,
                    template.name
                )),
            }
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(super::CommandError::new(format!(
        "cannot read the header files the templates name:\n  {}\nPut each file at its path (relative to the configuration's directory, or under --secret-dir), or change `file:` to it.",
        problems.join("\n  ")
    )))
}
