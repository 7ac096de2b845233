//! The order the tags pane lists tags in: natural (`v2` before `v10`, `1.2.0-rc.1` before
//! `1.2.0`, as semver has it) by default, plain lexical on request. The CLI keeps lexical
//! order, which scripts depend on.

use std::cmp::Ordering;

/// One piece of a tag: a run of digits, compared as a number, or one other character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'a> {
    Digits(&'a str),
    Char(char),
    End,
}

impl Piece<'_> {
    /// What a piece sorts by, given whether digits came just before it. A pre-release
    /// (`-rc.1` after a number) sorts before the end of the tag it extends, so `1.2.0-rc.1`
    /// comes before `1.2.0` as in semver, while `nginx` stays before `nginx-alpine`; digits
    /// and characters otherwise keep plain order. Two tags are compared where they first
    /// differ, so both sides always have the same `after_digits` there.
    fn key(self, after_digits: bool) -> (u8, u32) {
        match self {
            Piece::Char('-') if after_digits => (0, '-' as u32),
            Piece::End => (1, 0),
            Piece::Digits(_) => (2, '0' as u32),
            Piece::Char(c) => (2, c as u32),
        }
    }
}

fn pieces(tag: &str) -> impl Iterator<Item = Piece<'_>> {
    let mut rest = tag;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        if first.is_ascii_digit() {
            let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
            let (run, tail) = rest.split_at(end);
            rest = tail;
            Some(Piece::Digits(run))
        } else {
            rest = &rest[first.len_utf8()..];
            Some(Piece::Char(first))
        }
    })
    .chain(std::iter::once(Piece::End))
}

fn number(digits: &str) -> (usize, &str) {
    let d = digits.trim_start_matches('0');
    (d.len(), d)
}

/// Natural order; tags that differ only in leading zeros fall back to plain order, so the
/// order is total.
pub fn natural(a: &str, b: &str) -> Ordering {
    let mut after_digits = false;
    for (x, y) in pieces(a).zip(pieces(b)) {
        let order = x.key(after_digits).cmp(&y.key(after_digits)).then_with(|| match (x, y) {
            (Piece::Digits(x), Piece::Digits(y)) => number(x).cmp(&number(y)),
            _ => Ordering::Equal,
        });
        if order != Ordering::Equal {
            return order;
        }
        after_digits = matches!(x, Piece::Digits(_));
    }
    a.cmp(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sorted(tags: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = tags.iter().map(|s| s.to_string()).collect();
        v.sort_by(|a, b| natural(a, b));
        v
    }

    #[test]
    fn numbers_compare_as_numbers_and_pre_releases_come_first() {
        assert_eq!(sorted(&["v10", "v2", "v1.10.0", "v1.2.0", "v1.2.0-rc.1", "latest", "v1.2.0-rc.10", "v1.2.0-rc.2"]), [
            "latest",
            "v1.2.0-rc.1",
            "v1.2.0-rc.2",
            "v1.2.0-rc.10",
            "v1.2.0",
            "v1.10.0",
            "v2",
            "v10"
        ]);
        assert_eq!(sorted(&["1.0", "01.0", "1.0.1", "1.0-alpine"]), ["1.0-alpine", "01.0", "1.0", "1.0.1"]);
        assert_eq!(sorted(&["nginx-alpine", "nginx", "nginx2"]), ["nginx", "nginx-alpine", "nginx2"]);
    }

    fn tag() -> impl Strategy<Value = String> {
        "[0-9a-z.\\-_]{0,8}"
    }

    proptest! {
        #[test]
        fn the_order_is_total(a in tag(), b in tag(), c in tag()) {
            prop_assert_eq!(natural(&a, &b), natural(&b, &a).reverse());
            prop_assert_eq!(natural(&a, &b) == Ordering::Equal, a == b);
            if natural(&a, &b) != Ordering::Greater && natural(&b, &c) != Ordering::Greater {
                prop_assert_ne!(natural(&a, &c), Ordering::Greater);
            }
        }
    }
}
