//! UTC timestamps with a lenient parser.
//!
//! AWS events carry dates as RFC 3339 strings most of the time, but not always: AWS Backup's
//! `expectedCompletionDate` has been seen with month names, KMS's `deletionDate` is not ISO,
//! and some producers send epoch seconds or milliseconds as numbers or digit strings. The
//! parser accepts all of these and answers `None` rather than guessing when a date is
//! ambiguous or out of range.

use serde_json::Value;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// Years outside this range are treated as garbage rather than dates.
const MIN_YEAR: i64 = 1970;
const MAX_YEAR: i64 = 9999;

impl Timestamp {
    pub const fn from_epoch_seconds(seconds: i64) -> Self {
        Self(seconds)
    }

    pub fn now() -> Self {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Self(secs)
    }

    pub const fn epoch_seconds(self) -> i64 {
        self.0
    }

    pub const fn plus_seconds(self, seconds: i64) -> Self {
        Self(self.0.saturating_add(seconds))
    }

    /// Seconds from `earlier` to `self` (negative when `earlier` is later).
    pub const fn seconds_since(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// Builds a timestamp from calendar fields, validating each of them.
    pub fn from_civil(
        year: i64,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
        second: u32,
    ) -> Option<Self> {
        if !(MIN_YEAR..=MAX_YEAR).contains(&year)
            || !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 60
        {
            return None;
        }
        let days = days_from_civil(year, month, day);
        let secs = days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60;
        // A leap second is folded into the next second.
        Some(Self(secs + i64::from(second)))
    }

    /// Parses any of the date shapes AWS events are known to carry. See the module docs.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        if text.bytes().all(|b| b.is_ascii_digit()) {
            return text.parse::<i64>().ok().and_then(Self::from_epoch_number);
        }
        parse_iso(text).or_else(|| parse_words(text))
    }

    /// Accepts a JSON string or a number of epoch seconds or milliseconds.
    pub fn from_json(value: &Value) -> Option<Self> {
        match value {
            Value::String(s) => Self::parse(s),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Self::from_epoch_number(i)
                } else {
                    n.as_f64()
                        .filter(|f| f.is_finite() && *f >= 0.0 && *f < 1e15)
                        // Truncation to whole seconds is intended.
                        .and_then(|f| Self::from_epoch_number(f as i64))
                }
            }
            _ => None,
        }
    }

    /// Epoch seconds, or epoch milliseconds when the number is too large to be seconds.
    fn from_epoch_number(n: i64) -> Option<Self> {
        const MAX_SECONDS: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z
        if n < 0 {
            None
        } else if n <= MAX_SECONDS {
            Some(Self(n))
        } else if n / 1000 <= MAX_SECONDS {
            Some(Self(n / 1000))
        } else {
            None
        }
    }

    /// Calendar fields (year, month, day, hour, minute, second).
    pub fn civil(self) -> (i64, u32, u32, u32, u32, u32) {
        let days = self.0.div_euclid(86_400);
        let rem = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        // rem < 86_400, so the narrowing casts below cannot truncate.
        let rem = rem as u32;
        (y, m, d, rem / 3600, (rem / 60) % 60, rem % 60)
    }

    /// ISO 8601 basic format, `20261123T195139Z`: for keys and object names.
    pub fn compact(self) -> String {
        let (y, mo, d, h, mi, se) = self.civil();
        format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{se:02}Z")
    }
}

/// RFC 3339 with a `Z` suffix, e.g. `2026-11-22T03:04:05Z`.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s) = self.civil();
        write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (eras of 400 years).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let m = i64::from(month);
    let shifted_month = if m > 2 { m - 3 } else { m + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Reads `count` ASCII digits at `pos`.
fn digits(bytes: &[u8], pos: usize, count: usize) -> Option<u32> {
    let slice = bytes.get(pos..pos + count)?;
    slice.iter().try_fold(0u32, |acc, b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

/// `YYYY-MM-DD`, optionally followed by `T` or a space, `HH:MM[:SS[.fraction]]` and a zone
/// (`Z`, `+HH:MM`, `+HHMM`, `+HH`, ` UTC`, ` GMT`); no zone means UTC.
fn parse_iso(text: &str) -> Option<Timestamp> {
    let b = text.as_bytes();
    let year = i64::from(digits(b, 0, 4)?);
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    if b.len() == 10 {
        return Timestamp::from_civil(year, month, day, 0, 0, 0);
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let hour = digits(b, 11, 2)?;
    if b.get(13) != Some(&b':') {
        return None;
    }
    let minute = digits(b, 14, 2)?;
    let mut pos = 16;
    let mut second = 0;
    if b.get(pos) == Some(&b':') {
        second = digits(b, pos + 1, 2)?;
        pos += 3;
        if matches!(b.get(pos), Some(b'.' | b',')) {
            pos += 1;
            while b.get(pos).is_some_and(u8::is_ascii_digit) {
                pos += 1;
            }
        }
    }
    let base = Timestamp::from_civil(year, month, day, hour, minute, second)?;
    let offset = parse_zone(text.get(pos..)?.trim())?;
    Some(base.plus_seconds(-offset))
}

/// A zone suffix as seconds east of UTC.
fn parse_zone(zone: &str) -> Option<i64> {
    match zone {
        "" | "Z" | "z" | "UTC" | "GMT" | "+0000" | "-0000" => return Some(0),
        _ => {}
    }
    let b = zone.as_bytes();
    let sign = match b.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let hours = i64::from(digits(b, 1, 2)?);
    let minutes = match b.len() {
        3 => 0,
        5 => i64::from(digits(b, 3, 2)?),
        6 if b[3] == b':' => i64::from(digits(b, 4, 2)?),
        _ => return None,
    };
    if hours > 14 || minutes > 59 {
        return None;
    }
    Some(sign * (hours * 3600 + minutes * 60))
}

fn month_from_name(word: &str) -> Option<u32> {
    const NAMES: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let lower = word.to_ascii_lowercase();
    if lower.len() < 3 {
        return None;
    }
    NAMES
        .iter()
        .position(|name| lower.starts_with(name))
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// Dates written with a month name, in any of the usual orders:
/// `Nov 22, 2026 3:04:05 AM`, `22 November 2026 03:04 UTC`, `Sun, 22 Nov 2026 03:04:05 GMT`,
/// `Sun Nov 22 03:04:05 UTC 2026`. Only UTC-equivalent zones (or none) are accepted.
fn parse_words(text: &str) -> Option<Timestamp> {
    let mut year = None;
    let mut month = None;
    let mut day = None;
    let mut clock = None;
    let mut pm = None;
    let mut offset = 0;
    for token in text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
    {
        if token.contains(':') && token.starts_with(|c: char| c.is_ascii_digit()) {
            let mut parts = token.splitn(3, ':');
            let h = parts.next()?.parse::<u32>().ok()?;
            let m = parts.next()?.parse::<u32>().ok()?;
            let s = match parts.next() {
                // Drop a fractional part of the seconds.
                Some(s) => s.split('.').next()?.parse::<u32>().ok()?,
                None => 0,
            };
            clock = Some((h, m, s));
        } else if token.bytes().all(|b| b.is_ascii_digit()) {
            let n = token.parse::<u32>().ok()?;
            if token.len() == 4 {
                year = Some(i64::from(n));
            } else if token.len() <= 2 && day.is_none() {
                day = Some(n);
            } else {
                return None;
            }
        } else if token.starts_with(['+', '-']) {
            offset = parse_zone(token)?;
        } else {
            match token.to_ascii_uppercase().as_str() {
                "AM" => pm = Some(false),
                "PM" => pm = Some(true),
                "UTC" | "GMT" | "Z" => {}
                "AT" => {}
                upper => {
                    if let Some(m) = month_from_name(upper) {
                        month = Some(m);
                    } else if is_weekday(upper) {
                        // Weekday names carry no information we need.
                    } else {
                        // An unknown zone abbreviation or other word: refuse to guess.
                        return None;
                    }
                }
            }
        }
    }
    let (mut hour, minute, second) = clock.unwrap_or((0, 0, 0));
    match pm {
        Some(true) if hour < 12 => hour += 12,
        Some(false) if hour == 12 => hour = 0,
        Some(_) if hour > 12 => return None,
        _ => {}
    }
    let base = Timestamp::from_civil(year?, month?, day?, hour, minute, second)?;
    Some(base.plus_seconds(-offset))
}

fn is_weekday(upper: &str) -> bool {
    const DAYS: [&str; 7] = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];
    upper.len() >= 3 && DAYS.iter().any(|d| upper.starts_with(d))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(text: &str) -> String {
        Timestamp::parse(text).map_or_else(|| "none".to_owned(), |t| t.to_string())
    }

    #[test]
    fn iso_variants() {
        assert_eq!(at("2026-11-22T03:04:05Z"), "2026-11-22T03:04:05Z");
        assert_eq!(at("2026-11-22T03:04:05.123Z"), "2026-11-22T03:04:05Z");
        assert_eq!(
            at("2026-11-22T03:04:05.123456+02:00"),
            "2026-11-22T01:04:05Z"
        );
        assert_eq!(at("2026-11-22 03:04:05"), "2026-11-22T03:04:05Z");
        assert_eq!(at("2026-11-22T03:04Z"), "2026-11-22T03:04:00Z");
        assert_eq!(at("2026-11-22T03:04:05-0530"), "2026-11-22T08:34:05Z");
        assert_eq!(at("2026-11-22"), "2026-11-22T00:00:00Z");
        assert_eq!(at("2024-02-29T00:00:00Z"), "2024-02-29T00:00:00Z");
    }

    #[test]
    fn month_name_variants() {
        assert_eq!(at("Nov 22, 2026 3:04:05 AM"), "2026-11-22T03:04:05Z");
        assert_eq!(at("Nov 22, 2026 12:30:00 AM"), "2026-11-22T00:30:00Z");
        assert_eq!(at("November 22, 2026, 3:04:05 PM"), "2026-11-22T15:04:05Z");
        assert_eq!(at("Sun, 22 Nov 2026 03:04:05 GMT"), "2026-11-22T03:04:05Z");
        assert_eq!(at("Sun Nov 22 03:04:05 UTC 2026"), "2026-11-22T03:04:05Z");
        assert_eq!(at("22 Nov 2026 03:04 +0100"), "2026-11-22T02:04:00Z");
    }

    #[test]
    fn refuses_garbage_and_ambiguity() {
        for bad in [
            "",
            "soon",
            "2026-13-01T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-11-22T25:00:00Z",
            "Nov 22 03:04:05 PST 2026",
            "Nov 2026",
            "13:00 PM Nov 22 2026",
            "2026-11-22T03:04:05 nonsense",
        ] {
            assert_eq!(at(bad), "none", "{bad:?} must not parse");
        }
    }

    #[test]
    fn epoch_numbers_in_seconds_or_milliseconds() {
        let secs = Timestamp::from_json(&json!(1_795_316_645)).map(|t| t.to_string());
        let millis = Timestamp::from_json(&json!(1_795_316_645_123_i64)).map(|t| t.to_string());
        let text = Timestamp::from_json(&json!("1795316645")).map(|t| t.to_string());
        let float = Timestamp::from_json(&json!(1_795_316_645.9)).map(|t| t.to_string());
        let expected = Some("2026-11-22T03:04:05Z".to_owned());
        assert_eq!(secs, expected);
        assert_eq!(millis, expected);
        assert_eq!(text, expected);
        assert_eq!(float, expected);
        assert_eq!(Timestamp::from_json(&json!(-5)), None);
        assert_eq!(Timestamp::from_json(&json!({})), None);
    }

    #[test]
    fn civil_round_trip_across_eras() {
        for secs in [0_i64, 951_782_400, 4_107_542_400, 253_402_300_799] {
            let t = Timestamp::from_epoch_seconds(secs);
            assert_eq!(Timestamp::parse(&t.to_string()), Some(t));
        }
    }
}
