//! "Did you mean": the closest known name to an unknown one, by Jaro-Winkler similarity,
//! with a case-insensitive exact match preferred.

/// The closest candidate, if any is close enough to be a plausible typo.
pub fn closest<'a>(
    unknown: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = unknown.to_lowercase();
    let mut best: Option<(&str, f64)> = None;
    for candidate in candidates {
        if candidate.to_lowercase() == lower {
            return Some(candidate);
        }
        let score = strsim::jaro_winkler(&lower, &candidate.to_lowercase());
        if score >= 0.8 && best.is_none_or(|(_, s)| score > s) {
            best = Some((candidate, score));
        }
    }
    best.map(|(c, _)| c)
}

/// "did you mean `x`?" or an empty string.
pub fn did_you_mean<'a>(unknown: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(unknown, candidates).map_or_else(String::new, |c| format!("did you mean `{c}`? "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_and_ignores_far_ones() {
        let keys = ["name", "channel", "credentials"];
        assert_eq!(closest("nmae", keys), Some("name"));
        assert_eq!(closest("credential", keys), Some("credentials"));
        assert_eq!(closest("CHANNEL", keys), Some("channel"));
        assert_eq!(closest("zzzzzz", keys), None);
    }
}
