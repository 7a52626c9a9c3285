//! Cursor paging as Graph does it: `limit` (default 25, max 100), opaque base64 cursors,
//! `paging.cursors.before/after`, and `next`/`previous` links only when there is more.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use crate::errors::GraphError;

pub const DEFAULT_LIMIT: usize = 25;
pub const MAX_LIMIT: usize = 100;

/// What the caller asked for.
#[derive(Clone, Debug, Default)]
pub struct PageArgs {
    pub limit: Option<usize>,
    pub after: Option<String>,
    pub before: Option<String>,
}

/// One page over a list of `len` items.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    pub start: usize,
    pub end: usize,
    pub limit: usize,
    pub len: usize,
}

pub fn cursor(index: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("wacfg-sim:{index}"))
}

fn decode(name: &str, c: &str) -> Result<usize, GraphError> {
    let bad = || GraphError::bad_param(format!("The {name} parameter is not a valid cursor"));
    let bytes = URL_SAFE_NO_PAD
        .decode(c.trim_end_matches('='))
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    text.strip_prefix("wacfg-sim:")
        .and_then(|n| n.parse().ok())
        .ok_or_else(bad)
}

impl PageArgs {
    /// Chooses the slice of a list of `len` items.
    pub fn page(&self, len: usize) -> Result<Page, GraphError> {
        let limit = match self.limit {
            None | Some(0) => DEFAULT_LIMIT,
            Some(n) => n.min(MAX_LIMIT),
        };
        let (start, end) = if let Some(a) = &self.after {
            let s = decode("after", a)?.saturating_add(1).min(len);
            (s, (s + limit).min(len))
        } else if let Some(b) = &self.before {
            let e = decode("before", b)?.min(len);
            (e.saturating_sub(limit), e)
        } else {
            (0, limit.min(len))
        };
        Ok(Page {
            start,
            end,
            limit,
            len,
        })
    }
}

impl Page {
    pub fn has_next(&self) -> bool {
        self.end < self.len
    }

    pub fn has_previous(&self) -> bool {
        self.start > 0
    }

    /// The `paging` object. `link(cursor_param, cursor)` builds an absolute URL for
    /// `next`/`previous`.
    pub fn paging(&self, link: impl Fn(&str, &str) -> String) -> Value {
        let mut p = Map::new();
        if self.end > self.start {
            p.insert(
                "cursors".into(),
                json!({ "before": cursor(self.start), "after": cursor(self.end - 1) }),
            );
        } else {
            p.insert("cursors".into(), json!({}));
        }
        if self.has_previous() && self.end > self.start {
            p.insert(
                "previous".into(),
                json!(link("before", &cursor(self.start))),
            );
        }
        if self.has_next() && self.end > self.start {
            p.insert("next".into(), json!(link("after", &cursor(self.end - 1))));
        }
        Value::Object(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(limit: usize, after: Option<String>) -> PageArgs {
        PageArgs {
            limit: Some(limit),
            after,
            before: None,
        }
    }

    #[test]
    fn walks_three_pages_by_after_cursor() {
        let p1 = args(2, None).page(5).unwrap();
        assert_eq!((p1.start, p1.end), (0, 2));
        assert!(p1.has_next() && !p1.has_previous());
        let p2 = args(2, Some(cursor(1))).page(5).unwrap();
        assert_eq!((p2.start, p2.end), (2, 4));
        let p3 = args(2, Some(cursor(3))).page(5).unwrap();
        assert_eq!((p3.start, p3.end), (4, 5));
        assert!(!p3.has_next());
        let v = p3.paging(|k, c| format!("{k}={c}"));
        assert!(v.get("next").is_none());
        assert!(v["previous"].as_str().unwrap().starts_with("before="));
    }

    #[test]
    fn before_cursor_goes_back_and_limit_is_capped() {
        let p = PageArgs {
            limit: Some(2),
            after: None,
            before: Some(cursor(4)),
        }
        .page(5)
        .unwrap();
        assert_eq!((p.start, p.end), (2, 4));
        assert_eq!(args(1000, None).page(500).unwrap().end, MAX_LIMIT);
        assert_eq!(PageArgs::default().page(500).unwrap().end, DEFAULT_LIMIT);
    }

    #[test]
    fn garbage_cursor_is_code_100() {
        let e = args(2, Some("!!".into())).page(5).unwrap_err();
        assert_eq!(e.code, 100);
        let huge = URL_SAFE_NO_PAD.encode(format!("wacfg-sim:{}", usize::MAX));
        let p = args(2, Some(huge)).page(5).unwrap();
        assert_eq!(
            (p.start, p.end),
            (5, 5),
            "a cursor past the end is an empty page"
        );
    }
}
