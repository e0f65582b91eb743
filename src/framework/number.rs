//! cty numbers: arbitrary-precision decimals on Terraform's side.
//!
//! Terraform compares planned and applied numbers exactly, so a number must come back exactly
//! as it arrived. Every number has one canonical representation here (the narrowest that holds
//! it exactly), which makes derived equality numeric equality and mirrors how cty chooses the
//! msgpack form: integer if it fits an int64, float64 if exact, decimal string otherwise.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Debug, PartialEq)]
pub struct Number(Repr);

#[derive(Clone, Debug, PartialEq)]
enum Repr {
    Int(i64),
    /// Only above `i64::MAX`.
    UInt(u64),
    /// Never NaN, never -0.0, never an integer that `Int`/`UInt` can hold.
    Float(f64),
    /// Canonical plain decimal text (no exponent, no redundant zeros) of a value no other
    /// variant holds exactly, such as `0.1` written in HCL or integers beyond 64 bits.
    Decimal(Box<str>),
}

// NaN is never stored, so equality is total.
impl Eq for Number {}

/// Longest plain decimal text accepted. The smallest f64 subnormal needs 1074 decimal places,
/// so this leaves room for every float while bounding memory for inputs like `1e999999999`.
const MAX_DECIMAL_LEN: usize = 4096;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a valid number")]
pub struct ParseNumberError(String);

impl Number {
    /// `None` for NaN, which cty cannot represent.
    pub fn from_f64(f: f64) -> Option<Number> {
        if f.is_nan() {
            return None;
        }
        if f.is_finite() && f.fract() == 0.0 {
            // 2^63 and 2^64 are exact in f64, so these bounds are exact comparisons.
            const TWO_63: f64 = 9_223_372_036_854_775_808.0;
            const TWO_64: f64 = 18_446_744_073_709_551_616.0;
            if (-TWO_63..TWO_63).contains(&f) {
                return Some(Number(Repr::Int(f as i64)));
            }
            if (0.0..TWO_64).contains(&f) {
                return Some(Number(Repr::UInt(f as u64)));
            }
        }
        Some(Number(Repr::Float(f)))
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self.0 {
            Repr::Int(i) => Some(i),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match self.0 {
            Repr::Int(i) => u64::try_from(i).ok(),
            Repr::UInt(u) => Some(u),
            _ => None,
        }
    }

    /// The nearest f64; exact for every number that arrived as an int or float.
    pub fn as_f64(&self) -> f64 {
        match &self.0 {
            Repr::Int(i) => *i as f64,
            Repr::UInt(u) => *u as f64,
            Repr::Float(f) => *f,
            Repr::Decimal(text) => text.parse().unwrap_or(f64::NAN),
        }
    }

    /// False only for the infinities, which cty allows but JSON cannot express.
    pub fn is_finite(&self) -> bool {
        match self.0 {
            Repr::Float(f) => f.is_finite(),
            _ => true,
        }
    }

    pub fn is_integer(&self) -> bool {
        match &self.0 {
            Repr::Int(_) | Repr::UInt(_) => true,
            Repr::Float(f) => f.is_finite() && f.fract() == 0.0,
            Repr::Decimal(text) => !text.contains('.'),
        }
    }

    /// The form cty's msgpack marshaller picks for this number.
    pub(crate) fn wire_form(&self) -> WireNumber {
        match &self.0 {
            Repr::Int(i) => WireNumber::Int(*i),
            // cty tries int64 then float64 then text; above i64::MAX only some are exact floats.
            Repr::UInt(u) => {
                let significant_bits = 64 - u.leading_zeros() - u.trailing_zeros();
                if significant_bits <= f64::MANTISSA_DIGITS {
                    WireNumber::Float(*u as f64)
                } else {
                    WireNumber::Text(self.to_string())
                }
            }
            Repr::Float(f) => WireNumber::Float(*f),
            Repr::Decimal(text) => WireNumber::Text(text.to_string()),
        }
    }
}

pub(crate) enum WireNumber {
    Int(i64),
    Float(f64),
    Text(String),
}

impl From<i64> for Number {
    fn from(i: i64) -> Self {
        Number(Repr::Int(i))
    }
}

impl From<i32> for Number {
    fn from(i: i32) -> Self {
        Number(Repr::Int(i.into()))
    }
}

impl From<u32> for Number {
    fn from(u: u32) -> Self {
        Number(Repr::Int(u.into()))
    }
}

impl From<u64> for Number {
    fn from(u: u64) -> Self {
        match i64::try_from(u) {
            Ok(i) => Number(Repr::Int(i)),
            Err(_) => Number(Repr::UInt(u)),
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Int(i) => write!(f, "{i}"),
            Repr::UInt(u) => write!(f, "{u}"),
            // Rust prints the shortest text that round-trips, without an exponent: the same
            // text cty produces with `Text('f', -1)`.
            Repr::Float(x) => write!(f, "{x}"),
            Repr::Decimal(text) => f.write_str(text),
        }
    }
}

/// Accepts decimal numbers with optional sign, fraction and exponent (`-1.5e3`), the forms cty
/// sends as msgpack strings and JSON uses for numbers.
impl FromStr for Number {
    type Err = ParseNumberError;

    fn from_str(s: &str) -> Result<Number, ParseNumberError> {
        let invalid = || ParseNumberError(s.to_string());
        let dec = Decimal::parse(s).ok_or_else(invalid)?;
        if dec.digits.is_empty() {
            return Ok(Number(Repr::Int(0)));
        }
        if dec.plain_len() > MAX_DECIMAL_LEN {
            return Err(invalid());
        }
        if dec.exp >= 0 && dec.digits.len() as i64 + dec.exp <= 20 {
            let mut magnitude: u128 = 0;
            for d in dec
                .digits
                .bytes()
                .chain(std::iter::repeat_n(b'0', dec.exp as usize))
            {
                magnitude = magnitude * 10 + u128::from(d - b'0');
            }
            if dec.negative {
                if let Ok(i) = i64::try_from(-(magnitude as i128)) {
                    return Ok(Number(Repr::Int(i)));
                }
            } else if let Ok(u) = u64::try_from(magnitude) {
                return Ok(Number::from(u));
            }
        }
        let plain = dec.to_plain();
        if let Ok(f) = plain.parse::<f64>() {
            if f.is_finite() && Decimal::of_f64(f) == dec {
                if let Some(n) = Number::from_f64(f) {
                    return Ok(n);
                }
            }
        }
        Ok(Number(Repr::Decimal(plain.into_boxed_str())))
    }
}

/// `±digits × 10^exp` with no leading or trailing zeros in `digits`; zero has empty digits.
#[derive(Debug, PartialEq)]
struct Decimal {
    negative: bool,
    digits: String,
    exp: i64,
}

impl Decimal {
    fn parse(s: &str) -> Option<Decimal> {
        let (negative, rest) = match s.as_bytes().first()? {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let (mantissa, exponent) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let (int_part, frac_part) = match mantissa.find('.') {
            Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
            None => (mantissa, ""),
        };
        let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if int_part.len() + frac_part.len() == 0 || !all_digits(int_part) || !all_digits(frac_part)
        {
            return None;
        }
        let mut exp: i64 = match exponent {
            None => 0,
            Some(e) => {
                let body = e.strip_prefix(['+', '-']).unwrap_or(e);
                if body.is_empty() || !all_digits(body) {
                    return None;
                }
                // Saturate: anything this large is rejected by the length limit anyway.
                let magnitude = body
                    .parse::<i64>()
                    .unwrap_or(i64::MAX / 4)
                    .min(i64::MAX / 4);
                if e.starts_with('-') {
                    -magnitude
                } else {
                    magnitude
                }
            }
        };
        exp -= frac_part.len() as i64;
        let mut digits: String = int_part.chars().chain(frac_part.chars()).collect();
        let leading = digits.len() - digits.trim_start_matches('0').len();
        digits.drain(..leading);
        let trimmed = digits.trim_end_matches('0').len();
        exp += (digits.len() - trimmed) as i64;
        digits.truncate(trimmed);
        Some(Decimal {
            negative: negative && !digits.is_empty(),
            digits,
            exp: if trimmed == 0 { 0 } else { exp },
        })
    }

    /// The exact decimal expansion of a finite, non-zero f64.
    fn of_f64(f: f64) -> Decimal {
        let bits = f.to_bits();
        let biased_exp = ((bits >> 52) & 0x7ff) as i64;
        let fraction = bits & ((1u64 << 52) - 1);
        let (mut mantissa, mut exp2) = if biased_exp == 0 {
            (fraction, -1074)
        } else {
            (fraction | (1u64 << 52), biased_exp - 1075)
        };
        if mantissa != 0 {
            let tz = mantissa.trailing_zeros();
            mantissa >>= tz;
            exp2 += i64::from(tz);
        }
        let mut n = BigDecimalDigits::from_u64(mantissa);
        let exp = if exp2 >= 0 {
            n.mul_pow(2, exp2 as u32);
            0
        } else {
            // m × 2^-k = m × 5^k / 10^k
            n.mul_pow(5, (-exp2) as u32);
            exp2
        };
        let text = n.to_string();
        let significant = text.trim_end_matches('0');
        Decimal {
            negative: f.is_sign_negative(),
            digits: significant.to_string(),
            exp: exp + (text.len() - significant.len()) as i64,
        }
    }

    fn plain_len(&self) -> usize {
        let digits = self.digits.len() as i64;
        let len = if self.exp >= 0 {
            digits.saturating_add(self.exp)
        } else {
            digits.max(-self.exp).saturating_add(2)
        };
        usize::try_from(len).unwrap_or(usize::MAX)
    }

    fn to_plain(&self) -> String {
        let mut out = String::with_capacity(self.plain_len() + 1);
        if self.negative {
            out.push('-');
        }
        if self.digits.is_empty() {
            out.push('0');
        } else if self.exp >= 0 {
            out.push_str(&self.digits);
            out.extend(std::iter::repeat_n('0', self.exp as usize));
        } else {
            let point = self.digits.len() as i64 + self.exp;
            if point > 0 {
                let (int, frac) = self.digits.split_at(point as usize);
                out.push_str(int);
                out.push('.');
                out.push_str(frac);
            } else {
                out.push_str("0.");
                out.extend(std::iter::repeat_n('0', (-point) as usize));
                out.push_str(&self.digits);
            }
        }
        out
    }
}

/// Just enough unsigned big-integer arithmetic to expand an f64 exactly: base 10^9 limbs,
/// least significant first.
struct BigDecimalDigits(Vec<u32>);

impl BigDecimalDigits {
    const BASE: u64 = 1_000_000_000;

    fn from_u64(mut v: u64) -> Self {
        let mut limbs = Vec::new();
        while v > 0 {
            limbs.push((v % Self::BASE) as u32);
            v /= Self::BASE;
        }
        BigDecimalDigits(limbs)
    }

    fn mul_small(&mut self, k: u32) {
        let mut carry = 0u64;
        for limb in &mut self.0 {
            let product = u64::from(*limb) * u64::from(k) + carry;
            *limb = (product % Self::BASE) as u32;
            carry = product / Self::BASE;
        }
        while carry > 0 {
            self.0.push((carry % Self::BASE) as u32);
            carry /= Self::BASE;
        }
    }

    /// Multiplies by `base^power` in chunks that keep each step within u64.
    fn mul_pow(&mut self, base: u32, mut power: u32) {
        let (chunk, chunk_power) = if base == 2 {
            (1u32 << 31, 31)
        } else {
            (5u32.pow(13), 13)
        };
        while power >= chunk_power {
            self.mul_small(chunk);
            power -= chunk_power;
        }
        self.mul_small(base.pow(power));
    }
}

impl fmt::Display for BigDecimalDigits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut limbs = self.0.iter().rev();
        match limbs.next() {
            None => f.write_str("0"),
            Some(top) => {
                write!(f, "{top}")?;
                limbs.try_for_each(|limb| write!(f, "{limb:09}"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        s.parse().unwrap()
    }

    #[test]
    fn integers_stay_exact() {
        assert_eq!(n("9223372036854775807").as_i64(), Some(i64::MAX));
        assert_eq!(n("-9223372036854775808").as_i64(), Some(i64::MIN));
        assert_eq!(n("18446744073709551615").as_u64(), Some(u64::MAX));
        assert_eq!(n("18446744073709551615").as_i64(), None);
        assert_eq!(n("1e3"), Number::from(1000));
        assert_eq!(n("1000e-3").as_i64(), Some(1));
        assert_eq!(n("1500e-3").as_i64(), None);
        assert_eq!(n("-0"), Number::from(0));
        assert_eq!(n("0.000"), Number::from(0));
        assert_eq!(n("+42"), Number::from(42));
    }

    #[test]
    fn display_has_no_trailing_point_zero() {
        assert_eq!(Number::from(5).to_string(), "5");
        assert_eq!(Number::from_f64(5.0).unwrap().to_string(), "5");
        assert_eq!(Number::from_f64(2.5).unwrap().to_string(), "2.5");
        assert_eq!(
            Number::from_f64(1e21).unwrap().to_string(),
            "1000000000000000000000"
        );
        assert_eq!(Number::from_f64(1e-7).unwrap().to_string(), "0.0000001");
        assert_eq!(n("-1.50").to_string(), "-1.5");
        assert_eq!(n("1.25e-3").to_string(), "0.00125");
        assert_eq!(Number::from(u64::MAX).to_string(), "18446744073709551615");
    }

    #[test]
    fn equality_is_numeric() {
        assert_eq!(Number::from_f64(3.0).unwrap(), Number::from(3));
        assert_eq!(Number::from_f64(-0.0).unwrap(), Number::from(0));
        assert_eq!(n("0.5"), Number::from_f64(0.5).unwrap());
        assert_eq!(
            n("1180591620717411303424"),
            Number::from_f64(2f64.powi(70)).unwrap()
        );
        assert_eq!(
            n("9223372036854775808"),
            Number::from_f64(2f64.powi(63)).unwrap()
        );
        // The f64 nearest 0.1 is a different number from the decimal 0.1, as in cty.
        assert_ne!(n("0.1"), Number::from_f64(0.1).unwrap());
        assert_eq!(n("0.1"), n("1e-1"));
        assert_eq!(n("0.1").as_f64(), 0.1);
        assert!(Number::from_f64(f64::NAN).is_none());
    }

    #[test]
    fn exact_float_expansion() {
        assert_eq!(
            Decimal::of_f64(0.1).to_plain(),
            "0.1000000000000000055511151231257827021181583404541015625"
        );
        let tiny = Decimal::of_f64(f64::from_bits(1));
        assert_eq!(tiny.exp, -1074);
        assert_eq!(Decimal::of_f64(-1.5).to_plain(), "-1.5");
        let exact_tiny = tiny.to_plain();
        assert_eq!(
            exact_tiny.parse::<Number>().unwrap(),
            Number::from_f64(f64::from_bits(1)).unwrap()
        );
        let max = Decimal::of_f64(f64::MAX).to_plain();
        assert_eq!(max.len(), 309);
        assert_eq!(
            max.parse::<Number>().unwrap(),
            Number::from_f64(f64::MAX).unwrap()
        );
    }

    #[test]
    fn big_decimals_are_kept_as_text() {
        let big = "123456789012345678901234567890.123456789";
        assert_eq!(n(big).to_string(), big);
        assert!(!n(big).is_integer());
        assert!(n("123456789012345678901234567891").is_integer());
        assert_eq!(
            n("-98765432109876543210987654321").to_string(),
            "-98765432109876543210987654321"
        );
    }

    #[test]
    fn wire_forms_follow_cty() {
        assert!(matches!(Number::from(-3).wire_form(), WireNumber::Int(-3)));
        assert!(matches!(n("0.5").wire_form(), WireNumber::Float(f) if f == 0.5));
        assert!(matches!(n("0.1").wire_form(), WireNumber::Text(t) if t == "0.1"));
        // 2^63 is exact as a float; u64::MAX is not, so cty sends it as text.
        assert!(matches!(
            Number::from(1u64 << 63).wire_form(),
            WireNumber::Float(_)
        ));
        assert!(
            matches!(Number::from(u64::MAX).wire_form(), WireNumber::Text(t) if t == "18446744073709551615")
        );
    }

    #[test]
    fn rejects_non_numbers() {
        for bad in [
            "",
            "-",
            "abc",
            "1.2.3",
            "1e",
            "1e+",
            "0x10",
            "NaN",
            "inf",
            "1 ",
            " 1",
            ".",
            "e5",
            "1e99999999999",
        ] {
            assert!(bad.parse::<Number>().is_err(), "{bad:?}");
        }
        assert_eq!(n(".5"), n("0.5"));
        assert_eq!(n("5."), Number::from(5));
    }
}
