//! `application/x-www-form-urlencoded` encoding and decoding, small enough not to need a
//! dependency: used for query strings, form bodies, batch `relative_url`s and `next` links.

/// Encodes pairs; unreserved bytes stay, the rest is %-escaped.
pub fn encode_query(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", escape(k), escape(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `a=1&b=%7Bx%7D` into pairs, `+` as space; malformed escapes are kept verbatim.
pub fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (unescape(k), unescape(v))
        })
        .collect()
}

pub fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match hex(b[i + 1]).zip(hex(b[i + 2])) {
                Some((hi, lo)) => {
                    out.push(hi * 16 + lo);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_field_expansions() {
        let pairs = vec![("fields".to_string(), "a,b{c.limit(2)}".to_string())];
        let q = encode_query(&pairs);
        assert!(!q.contains('{'));
        assert_eq!(parse_query(&q), pairs);
    }

    #[test]
    fn decodes_plus_and_keeps_bad_escapes() {
        assert_eq!(unescape("a+b%2Cc%zz%"), "a b,c%zz%");
        assert_eq!(
            parse_query("x&y=1"),
            vec![("x".into(), "".into()), ("y".into(), "1".into())]
        );
    }
}
