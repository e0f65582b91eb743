//! Outcome shapes: a hash that is equal for outcomes that differ only in data.
//!
//! Error messages and `Debug` output quote the input ("x" is not a valid number, lengths,
//! positions); hashing them raw would make every input look new and flood the pool. Quoted
//! text and digits are dropped first, so what remains is the wording and the field names.

/// FNV-1a, stable across runs and platforms (the pool must grow the same way for one seed).
pub(super) fn hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Adds one part's shape to the shape of a whole, order-sensitive (an XOR would cancel equal
/// parts, and most parts of an outcome are equal).
pub(super) fn mix(whole: u64, part: u64) -> u64 {
    (whole ^ part)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .rotate_left(29)
        ^ whole.rotate_left(7)
}

/// The shape of a text: quoted strings and digits removed.
pub(super) fn of_text(text: &str) -> u64 {
    let mut kept = Vec::with_capacity(text.len().min(512));
    let mut quoted = false;
    let mut escaped = false;
    for b in text.bytes() {
        if quoted {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => quoted = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => {
                quoted = true;
                kept.push(b'"');
            }
            b'0'..=b'9' => {}
            _ => kept.push(b),
        }
        // Long texts (a whole HTML page) add nothing past their start.
        if kept.len() >= 512 {
            break;
        }
    }
    hash(&kept)
}

/// Which variant of an enum: its `Debug` text up to the first field, so that an error's message
/// (the input's own words) does not make every input look new.
pub(super) fn of_variant(value: &impl std::fmt::Debug) -> u64 {
    let text = format!("{value:?}");
    let end = text
        .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .unwrap_or(text.len());
    hash(&text.as_bytes()[..end])
}

/// The shape of a value's `Debug` text.
pub(super) fn of_debug(value: &impl std::fmt::Debug) -> u64 {
    of_text(&format!("{value:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_does_not_change_the_shape() {
        assert_eq!(
            of_text(r#".a[3]: "x\"y" is not a valid number"#),
            of_text(r#".a[12]: "zz" is not a valid number"#)
        );
        assert_ne!(
            of_text(".a: unsupported attribute"),
            of_text(".b: unsupported attribute")
        );
        assert_ne!(mix(mix(0, 5), 5), mix(0, 5));
        assert_ne!(mix(mix(0, 1), 2), mix(mix(0, 2), 1));
    }
}
