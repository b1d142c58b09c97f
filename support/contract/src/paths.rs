//! Matching request paths against the document's path templates.

use crate::translate::percent_decode;

/// One `/`-separated piece of a path template.
#[derive(Debug)]
enum Segment {
    Literal(String),
    /// `prefix{name}suffix`; usually both are empty.
    Param {
        prefix: String,
        name: String,
        suffix: String,
    },
}

/// Path parameters captured from a request path: name and decoded value.
pub(crate) type Captures = Vec<(String, String)>;

/// A parsed path template such as `/core/users/{id}/`.
#[derive(Debug)]
pub(crate) struct Template {
    pub(crate) raw: String,
    segments: Vec<Segment>,
}

impl Template {
    pub(crate) fn parse(raw: &str) -> Template {
        let segments = raw
            .split('/')
            .map(|segment| {
                if let (Some(open), Some(close)) = (segment.find('{'), segment.rfind('}'))
                    && open < close
                {
                    Segment::Param {
                        prefix: segment[..open].to_owned(),
                        name: segment[open + 1..close].to_owned(),
                        suffix: segment[close + 1..].to_owned(),
                    }
                } else {
                    Segment::Literal(segment.to_owned())
                }
            })
            .collect();
        Template {
            raw: raw.to_owned(),
            segments,
        }
    }

    /// The path parameters captured from `path` (already without the base path),
    /// percent-decoded, with a rank: one flag per segment, `true` for a literal.
    fn capture(&self, path: &str) -> Option<(Vec<bool>, Captures)> {
        let parts: Vec<&str> = path.split('/').collect();
        if parts.len() != self.segments.len() {
            return None;
        }
        let mut rank = Vec::with_capacity(parts.len());
        let mut captures = Vec::new();
        for (segment, part) in self.segments.iter().zip(parts) {
            let decoded = percent_decode(part);
            match segment {
                Segment::Literal(literal) => {
                    if *literal != decoded {
                        return None;
                    }
                    rank.push(true);
                }
                Segment::Param {
                    prefix,
                    name,
                    suffix,
                } => {
                    let value = decoded
                        .strip_prefix(prefix.as_str())
                        .and_then(|rest| rest.strip_suffix(suffix.as_str()))
                        .filter(|value| !value.is_empty())?;
                    captures.push((name.clone(), value.to_owned()));
                    rank.push(false);
                }
            }
        }
        Some((rank, captures))
    }
}

/// The best template for `path`: the one with a literal segment where the others
/// have a parameter, earliest difference first. Returns its index and captures.
pub(crate) fn best_match(templates: &[Template], path: &str) -> Option<(usize, Captures)> {
    templates
        .iter()
        .enumerate()
        .filter_map(|(i, t)| t.capture(path).map(|(rank, captures)| (i, rank, captures)))
        .max_by(|a, b| a.1.cmp(&b.1))
        .map(|(i, _, captures)| (i, captures))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_segments_win() {
        let templates = [
            Template::parse("/core/users/{id}/"),
            Template::parse("/core/users/service_account/"),
            Template::parse("/core/users/"),
        ];
        let (index, captures) = best_match(&templates, "/core/users/service_account/")
            .unwrap_or((usize::MAX, Vec::new()));
        assert_eq!(index, 1);
        assert!(captures.is_empty());
        let (index, captures) =
            best_match(&templates, "/core/users/42/").unwrap_or((usize::MAX, Vec::new()));
        assert_eq!(index, 0);
        assert_eq!(captures, vec![("id".to_owned(), "42".to_owned())]);
        assert!(best_match(&templates, "/core/users//").is_none());
        assert!(best_match(&templates, "/core/users").is_none());
    }

    #[test]
    fn partial_segments_and_decoding() {
        let templates = [Template::parse("/files/{name}.json")];
        let (_, captures) =
            best_match(&templates, "/files/a%20b.json").unwrap_or((usize::MAX, Vec::new()));
        assert_eq!(captures, vec![("name".to_owned(), "a b".to_owned())]);
    }
}
