//! Byte-level mutations, stacked a few at a time, in the spirit of AFL's havoc stage.
//!
//! The operators aim at what breaks parsers: length prefixes and markers replaced by boundary
//! values, tokens from the target's dictionary spliced in, chunks of other inputs crossed over,
//! and chunks repeated many times (deep nesting, huge counts).

use fastrand::Rng;

/// Single bytes that mean something to msgpack (markers at the edges of each family), JSON,
/// XML, or UTF-8 (continuation and invalid bytes).
const INTERESTING_BYTES: &[u8] = &[
    0x00, 0x01, 0x7f, 0x80, 0xff, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5,
    0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd3, 0xd4, 0xd8, 0xd9, 0xda,
    0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xf0, 0xf4, 0xf8, 0xfe, b'"', b'\\', b'{', b'}', b'[',
    b']', b':', b',', b'<', b'>', b'/', b'&', b';', b'#', b'-', b'+', b'.', b'e', b'0', b'9', b' ',
    b'\n', b'\t',
];

/// Boundary values for 16- and 32-bit length prefixes and integers.
const INTERESTING_U32: &[u32] = &[
    0,
    1,
    2,
    0x0f,
    0x10,
    0x1f,
    0x20,
    0x7f,
    0x80,
    0xff,
    0x100,
    0x7fff,
    0x8000,
    0xffff,
    0x1_0000,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_fffe,
    0xffff_ffff,
];

/// Number texts at the edges of what the number readers handle.
const INTERESTING_NUMBERS: &[&[u8]] = &[
    b"0",
    b"-0",
    b"-0.0",
    b"1",
    b"-1",
    b"0.1",
    b"1.5",
    b"1e308",
    b"1e309",
    b"-1e309",
    b"1e-400",
    b"4.9e-324",
    b"1e999999999",
    b"1e-999999999",
    b"1e99999999999999999999",
    b"9223372036854775807",
    b"9223372036854775808",
    b"-9223372036854775809",
    b"18446744073709551615",
    b"18446744073709551616",
    b"123456789012345678901234567890.123456789",
    b"4294967295",
    b"4294967296",
    b"00",
    b"1.",
    b".5",
    b"1e",
    b"+1",
    b"NaN",
    b"Infinity",
];

/// Applies 1 to 16 stacked mutations to `data`, keeping it at most `max_len` bytes long.
pub(super) fn mutate(
    rng: &mut Rng,
    data: &mut Vec<u8>,
    dictionary: &[&[u8]],
    pool: &[Vec<u8>],
    max_len: usize,
) {
    let rounds = 1usize << rng.u32(0..5);
    for _ in 0..rounds {
        one(rng, data, dictionary, pool, max_len);
        if data.len() > max_len {
            data.truncate(max_len);
        }
    }
}

fn pos(rng: &mut Rng, data: &[u8]) -> usize {
    rng.usize(..=data.len())
}

/// A range `start..end` inside `data`, short more often than long.
fn range(rng: &mut Rng, data: &[u8]) -> (usize, usize) {
    if data.is_empty() {
        return (0, 0);
    }
    let start = rng.usize(..data.len());
    let room = data.len() - start;
    let len = match rng.u8(0..4) {
        0 => rng.usize(1..=room),
        _ => rng.usize(1..=room.min(8)),
    };
    (start, start + len)
}

fn one(rng: &mut Rng, data: &mut Vec<u8>, dictionary: &[&[u8]], pool: &[Vec<u8>], max_len: usize) {
    match rng.u8(0..16) {
        0 if !data.is_empty() => {
            let i = rng.usize(..data.len());
            data[i] ^= 1 << rng.u8(0..8);
        }
        1 if !data.is_empty() => {
            let i = rng.usize(..data.len());
            data[i] = rng.u8(..);
        }
        2 if !data.is_empty() => {
            let i = rng.usize(..data.len());
            data[i] = INTERESTING_BYTES[rng.usize(..INTERESTING_BYTES.len())];
        }
        3 if !data.is_empty() => {
            let i = rng.usize(..data.len());
            let delta = rng.u8(1..=35);
            data[i] = if rng.bool() {
                data[i].wrapping_add(delta)
            } else {
                data[i].wrapping_sub(delta)
            };
        }
        4 => {
            // A length prefix or integer: 16 or 32 bits, big-endian as msgpack has them.
            let value = INTERESTING_U32[rng.usize(..INTERESTING_U32.len())];
            let bytes = value.to_be_bytes();
            let width = if rng.bool() { 2 } else { 4 };
            let field = &bytes[4 - width..];
            let at = pos(rng, data);
            if rng.bool() && at + width <= data.len() {
                data[at..at + width].copy_from_slice(field);
            } else {
                data.splice(at..at, field.iter().copied());
            }
        }
        5 => {
            let n = rng.usize(1..=8);
            let at = pos(rng, data);
            data.splice(at..at, std::iter::repeat_with(|| rng.u8(..)).take(n));
        }
        6 if !data.is_empty() => {
            let (start, end) = range(rng, data);
            data.drain(start..end);
        }
        7 if !data.is_empty() => {
            let (start, end) = range(rng, data);
            let chunk = data[start..end].to_vec();
            let at = pos(rng, data);
            data.splice(at..at, chunk);
        }
        8 if !pool.is_empty() => {
            // Crossover: a chunk of another input, inserted or replacing our tail.
            let other = &pool[rng.usize(..pool.len())];
            let (start, end) = range(rng, other);
            let chunk = &other[start..end];
            let at = pos(rng, data);
            if rng.bool() {
                data.truncate(at);
                data.extend_from_slice(chunk);
            } else {
                data.splice(at..at, chunk.iter().copied());
            }
        }
        9 | 10 if !dictionary.is_empty() => {
            let token = dictionary[rng.usize(..dictionary.len())];
            let at = pos(rng, data);
            if rng.bool() {
                data.splice(at..at, token.iter().copied());
            } else {
                let end = (at + token.len()).min(data.len());
                data.splice(at..end, token.iter().copied());
            }
        }
        11 if !data.is_empty() => {
            // Repeat a short chunk: deep nesting (`[[[[`, `91 91 91`), long runs, big counts.
            let start = rng.usize(..data.len());
            let end = (start + rng.usize(1..=4)).min(data.len());
            let chunk = data[start..end].to_vec();
            let times = match rng.u8(0..32) {
                0 => rng.usize(1_000..=max_len / chunk.len().max(1) + 1_000),
                1..=4 => rng.usize(16..=256),
                _ => rng.usize(2..=16),
            };
            let room = max_len.saturating_sub(data.len()) / chunk.len();
            let times = times.min(room);
            let repeated: Vec<u8> = chunk
                .iter()
                .copied()
                .cycle()
                .take(chunk.len() * times)
                .collect();
            data.splice(start..start, repeated);
        }
        12 => {
            // Replace a run of digits (or insert at random) with an edge-case number.
            let number = INTERESTING_NUMBERS[rng.usize(..INTERESTING_NUMBERS.len())];
            let digits = data
                .iter()
                .enumerate()
                .filter(|(_, b)| b.is_ascii_digit())
                .map(|(i, _)| i)
                .collect::<Vec<_>>();
            if let Some(&first) = digits.get(rng.usize(..digits.len().max(1))) {
                let end = data[first..]
                    .iter()
                    .position(|b| {
                        !b.is_ascii_digit() && !matches!(b, b'.' | b'e' | b'E' | b'-' | b'+')
                    })
                    .map_or(data.len(), |n| first + n);
                data.splice(first..end, number.iter().copied());
            } else {
                let at = pos(rng, data);
                data.splice(at..at, number.iter().copied());
            }
        }
        13 if !data.is_empty() => {
            data.truncate(rng.usize(..data.len()));
        }
        14 if data.len() >= 2 => {
            let a = rng.usize(..data.len());
            let b = rng.usize(..data.len());
            data.swap(a, b);
        }
        15 if !data.is_empty() => {
            // Overwrite a chunk with a copy of another part of the input.
            let (start, end) = range(rng, data);
            let chunk = data[start..end].to_vec();
            let at = rng.usize(..data.len());
            let end = (at + chunk.len()).min(data.len());
            data.splice(at..end, chunk);
        }
        _ => {
            // The chosen operator did not apply (empty input): grow it instead.
            let at = pos(rng, data);
            data.insert(at, INTERESTING_BYTES[rng.usize(..INTERESTING_BYTES.len())]);
        }
    }
}

/// Tokens taken from the seeds themselves: quoted JSON strings and XML tags, which are the
/// field names and element names that the parsers look for.
pub(super) fn tokens_of(seeds: &[Vec<u8>], limit: usize) -> Vec<Vec<u8>> {
    let mut found: Vec<Vec<u8>> = Vec::new();
    for seed in seeds {
        for (open, close) in [(b'"', b'"'), (b'<', b'>')] {
            let mut i = 0;
            while let Some(start) = seed[i..].iter().position(|b| *b == open).map(|p| i + p) {
                let Some(len) = seed[start + 1..].iter().take(40).position(|b| *b == close) else {
                    i = start + 1;
                    continue;
                };
                let token = seed[start..start + len + 2].to_vec();
                if len > 0 && !found.contains(&token) {
                    found.push(token);
                    if found.len() >= limit {
                        return found;
                    }
                }
                i = start + len + 2;
                if i >= seed.len() {
                    break;
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_stay_within_the_limit_and_change_inputs() {
        let mut rng = Rng::with_seed(7);
        let pool = vec![b"{\"a\":[1,2,3]}".to_vec(), vec![0x92, 0xc4, 0x01, 0x22]];
        let dictionary: &[&[u8]] = &[b"\"clusterStatus\"", b"<Message>"];
        let mut changed = 0;
        for i in 0..5_000 {
            let mut data = pool[i % 2].clone();
            mutate(&mut rng, &mut data, dictionary, &pool, 256);
            assert!(data.len() <= 256);
            if data != pool[i % 2] {
                changed += 1;
            }
        }
        assert!(changed > 4_000, "{changed}");
    }

    #[test]
    fn tokens_come_from_seeds() {
        let tokens = tokens_of(
            &[b"{\"clusterName\":\"x\"}<Error><Message>m</Message></Error>".to_vec()],
            10,
        );
        assert!(tokens.contains(&b"\"clusterName\"".to_vec()));
        assert!(tokens.contains(&b"<Message>".to_vec()));
    }
}
