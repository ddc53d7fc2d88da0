//! SHA-256 of the bundle's files, and `SHA256SUMS` in the format `sha256sum -c` reads.

use std::fmt::Write;

use sha2::{Digest, Sha256};

/// The lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for byte in digest {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// One `<hash>  <name>` line per file (text mode, as `sha256sum` writes it), in the order given.
pub fn format_sums<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (name, hash) in files {
        let _ = writeln!(out, "{hash}  {name}");
    }
    out
}

/// A `SHA256SUMS` line that is not `<64 hex digits>  <name>` (or ` *<name>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based.
    pub line: usize,
}

/// The (name, hash) pairs of a `SHA256SUMS` text, and the lines that are not such pairs.
pub fn parse_sums(text: &str) -> (Vec<(String, String)>, Vec<BadLine>) {
    let mut pairs = Vec::new();
    let mut bad = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let parsed = line.split_at_checked(64).and_then(|(hash, rest)| {
            let name = rest
                .strip_prefix("  ")
                .or_else(|| rest.strip_prefix(" *"))?;
            let is_hex = hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
            (is_hex && !name.is_empty()).then(|| (name.to_owned(), hash.to_owned()))
        });
        match parsed {
            Some(pair) => pairs.push(pair),
            None => bad.push(BadLine { line: index + 1 }),
        }
    }
    (pairs, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_inputs() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn sums_round_trip_and_bad_lines_are_named() {
        let a = sha256_hex(b"a");
        let b = sha256_hex(b"b");
        let text = format_sums([("one.txt", a.as_str()), ("two.txt", b.as_str())]);
        assert_eq!(text, format!("{a}  one.txt\n{b}  two.txt\n"));
        let (pairs, bad) = parse_sums(&text);
        assert_eq!(
            pairs,
            vec![("one.txt".into(), a.clone()), ("two.txt".into(), b)]
        );
        assert!(bad.is_empty());
        let broken = format!(
            "{a}  one.txt\nnot a line\n{}  x\n{a} *bin.dat\n",
            "G".repeat(64)
        );
        let (pairs, bad) = parse_sums(&broken);
        assert_eq!(pairs.len(), 2);
        assert_eq!(bad, vec![BadLine { line: 2 }, BadLine { line: 3 }]);
    }
}
