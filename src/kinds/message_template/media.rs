//! A media header's `file:` sample, pure: the MIME type Meta allows for the header's format,
//! taken from the file's extension, and the largest size it takes; the files a language's
//! components name; and the components as sent, with each upload handle in place of its
//! `file:` (the record keeps the `file:` form and the digest of the bytes, so the plan compares
//! what the file says and what the file holds).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The prefix a media header's example carries until apply uploads the file.
pub const FILE_PREFIX: &str = "file:";

/// The key beside a `file:` sample holding the digest of the file's bytes (recorded, not sent).
pub const FILE_DIGEST: &str = "file_sha256";

const MB: u64 = 1024 * 1024;

/// (extension, MIME type).
type Extensions = &'static [(&'static str, &'static str)];

/// Meta's media types for a template header sample, by header format: the extensions with
/// their MIME types, and the largest size.
const ALLOWED: &[(&str, Extensions, u64)] = &[
    (
        "IMAGE",
        &[
            ("jpg", "image/jpeg"),
            ("jpeg", "image/jpeg"),
            ("png", "image/png"),
        ],
        5 * MB,
    ),
    (
        "VIDEO",
        &[("mp4", "video/mp4"), ("3gp", "video/3gpp")],
        16 * MB,
    ),
    ("DOCUMENT", &[("pdf", "application/pdf")], 100 * MB),
];

/// The MIME type and the largest size Meta takes for `path` as the sample of a `format`
/// header; why not when its extension is not one Meta allows for that format.
pub fn media_type(path: &Path, format: &str) -> Result<(&'static str, u64), String> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let Some((_, types, max)) = ALLOWED.iter().find(|(f, _, _)| *f == format) else {
        return Err(format!("a {format} header takes no media file"));
    };
    match types.iter().find(|(e, _)| *e == ext) {
        Some((_, mime)) => Ok((mime, *max)),
        None => Err(format!(
            "{} is not a type Meta takes for {format} headers: use {}",
            path.display(),
            types
                .iter()
                .map(|(e, _)| format!(".{e}"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Each `file:` sample the components name, with its header's format.
pub fn files_in(components: &Value) -> Vec<(PathBuf, String)> {
    components
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["type"] == "HEADER")
        .filter_map(|c| {
            let path = c["example"]["header_handle"][0]
                .as_str()?
                .strip_prefix(FILE_PREFIX)?;
            Some((
                PathBuf::from(path),
                c["format"].as_str().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

/// Whether a header of `components` records its file's digest.
pub fn has_digest(components: &Value) -> bool {
    components
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "HEADER" && c["example"].get(FILE_DIGEST).is_some())
}

/// The components as sent: each `file:` sample replaced by its upload handle.
pub fn with_handles(components: &Value, handles: &BTreeMap<PathBuf, String>) -> Value {
    let mut sent = components.clone();
    for c in sent.as_array_mut().into_iter().flatten() {
        let slot = c
            .get_mut("example")
            .and_then(|e| e.get_mut("header_handle"))
            .and_then(|h| h.get_mut(0));
        let Some(slot) = slot else { continue };
        let handle = slot
            .as_str()
            .and_then(|s| s.strip_prefix(FILE_PREFIX))
            .and_then(|p| handles.get(Path::new(p)));
        if let Some(h) = handle {
            *slot = Value::String(h.clone());
            if let Some(example) = c.get_mut("example").and_then(Value::as_object_mut) {
                example.remove(FILE_DIGEST);
            }
        }
    }
    sent
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_mime_type_comes_from_the_extension_metas_format_allows() {
        assert_eq!(
            media_type(Path::new("a/Header.PNG"), "IMAGE"),
            Ok(("image/png", 5 * MB))
        );
        assert_eq!(
            media_type(Path::new("clip.mp4"), "VIDEO"),
            Ok(("video/mp4", 16 * MB))
        );
        assert_eq!(
            media_type(Path::new("terms.pdf"), "DOCUMENT").map(|t| t.0),
            Ok("application/pdf")
        );
        let gif = media_type(Path::new("x.gif"), "IMAGE").unwrap_err();
        assert!(gif.contains("use .jpg, .jpeg, .png"), "{gif}");
        assert!(media_type(Path::new("x.pdf"), "IMAGE").is_err());
        assert!(media_type(Path::new("x.png"), "TEXT").is_err());
    }

    #[test]
    fn handles_replace_the_files_in_what_is_sent() {
        let comps = json!([
            {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["file:/cfg/h.png"]}},
            {"type": "BODY", "text": "Hi"},
            {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Ok"}]}
        ]);
        let files = files_in(&comps);
        assert_eq!(files, [(PathBuf::from("/cfg/h.png"), "IMAGE".to_string())]);
        let handles = [(PathBuf::from("/cfg/h.png"), "4::abc".to_string())].into();
        let sent = with_handles(&comps, &handles);
        assert_eq!(sent[0]["example"]["header_handle"], json!(["4::abc"]));
        assert_eq!(sent[1], comps[1]);
        assert_eq!(sent[2], comps[2]);
        assert!(files_in(&sent).is_empty());
    }
}
