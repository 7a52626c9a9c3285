//! The media files a configuration names (a template header's `file:` sample), read at the
//! edge for apply's uploads. The configuration is untrusted, so a path is confined as `file:`
//! secrets are (the configuration's directory tree and the operator's `--secret-dir`), must
//! be a regular file, and is read only up to the size Meta takes for it.

use std::io::Read;
use std::path::Path;

use crate::kinds::{MediaFiles, PortError};
use crate::model::secret::SecretAccess;

/// Files read inside `access`.
pub struct ConfinedFiles<'a> {
    pub access: &'a SecretAccess,
}

impl MediaFiles for ConfinedFiles<'_> {
    fn read(&self, path: &Path, max_bytes: u64) -> Result<Vec<u8>, PortError> {
        let refused = |why: String| PortError::Missing(format!("the header file {why}"));
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
