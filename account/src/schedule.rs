//! Backup cadence: AWS Backup rule schedules and `phoenix:rpo` durations.
//!
//! A rule's `ScheduleExpression` is an AWS cron expression with six fields
//! (`minutes hours day-of-month month day-of-week year`, day-of-week 1–7 = SUN–SAT, `?`
//! in one of the two day fields, `L`, `W` and `#` where AWS allows them), evaluated in the
//! rule's `ScheduleExpressionTimezone`. What freshness needs from it is the **cadence**: the
//! longest gap between two consecutive scheduled starts. A recovery point older than that
//! gap plus the rule's start window (plus a grace) is a backup that should have happened
//! and did not.
//!
//! The gap is computed on the wall clock of the schedule's time zone. Daylight-saving
//! changes move a gap by at most one hour, so for a zone other than UTC one hour is added
//! rather than carrying a time-zone database in every function.

use phoenix_shared::time::{Timestamp, days_in_month};
use std::fmt;

/// How far before and after the evaluation time firings are enumerated to find the
/// longest gap: long enough for yearly schedules to meet a leap day.
const HORIZON_DAYS: i64 = 800;
/// Added to a gap measured on a non-UTC wall clock (daylight-saving transitions).
pub const DST_SLACK_SECONDS: i64 = 3600;

/// Why a schedule or a duration could not be understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleError(pub String);

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ScheduleError {}

fn err<T>(message: impl Into<String>) -> Result<T, ScheduleError> {
    Err(ScheduleError(message.into()))
}

/// A parsed `ScheduleExpression`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    Cron(Cron),
    /// `rate(N unit)`, in seconds.
    Rate(i64),
}

impl Schedule {
    /// Parses `cron(...)` or `rate(...)`.
    pub fn parse(expression: &str) -> Result<Self, ScheduleError> {
        let text = expression.trim();
        let lower = text.to_ascii_lowercase();
        if let Some(inner) = lower
            .strip_prefix("cron(")
            .and_then(|rest| rest.strip_suffix(')'))
        {
            // Keep the original case for names (JAN, MON) by slicing the original text.
            let start = text.len() - inner.len() - 1;
            return Cron::parse(&text[start..text.len() - 1]).map(Self::Cron);
        }
        if let Some(inner) = lower
            .strip_prefix("rate(")
            .and_then(|rest| rest.strip_suffix(')'))
        {
            let mut words = inner.split_whitespace();
            let (Some(number), Some(unit), None) = (words.next(), words.next(), words.next())
            else {
                return err(format!("{text}: expected rate(<number> <unit>)"));
            };
            let n: i64 = match number.parse() {
                Ok(n) if n > 0 => n,
                _ => return err(format!("{text}: the rate must be a positive whole number")),
            };
            let unit_seconds = match unit.trim_end_matches('s') {
                "minute" => 60,
                "hour" => 3600,
                "day" => 86_400,
                _ => return err(format!("{text}: the unit must be minutes, hours or days")),
            };
            return Ok(Self::Rate(n.saturating_mul(unit_seconds)));
        }
        err(format!("{text}: expected cron(...) or rate(...)"))
    }

    /// The longest gap, in seconds, between consecutive runs around `at`, measured on the
    /// schedule's wall clock. `None` when the schedule has no run in the year after `at`
    /// (a cron whose year field has passed).
    pub fn longest_gap_seconds(&self, at: Timestamp) -> Option<i64> {
        match self {
            Self::Rate(seconds) => Some(*seconds),
            Self::Cron(cron) => cron.longest_gap_seconds(at),
        }
    }
}

/// The allowed age of the newest recovery point under one rule: the longest gap between
/// scheduled starts, the start window, one hour of daylight-saving slack for a zone other
/// than UTC, and a grace.
pub fn rule_rpo_seconds(
    gap_seconds: i64,
    start_window_minutes: i64,
    timezone: Option<&str>,
    grace_seconds: i64,
) -> i64 {
    let slack = if is_utc(timezone) {
        0
    } else {
        DST_SLACK_SECONDS
    };
    gap_seconds
        .saturating_add(start_window_minutes.max(0).saturating_mul(60))
        .saturating_add(slack)
        .saturating_add(grace_seconds.max(0))
}

/// Whether a rule's time zone is UTC (absent means UTC, AWS Backup's default).
pub fn is_utc(timezone: Option<&str>) -> bool {
    match timezone.map(str::trim) {
        None | Some("") => true,
        Some(tz) => matches!(
            tz.to_ascii_uppercase().as_str(),
            "UTC" | "ETC/UTC" | "GMT" | "ETC/GMT" | "Z" | "ZULU" | "UCT" | "ETC/UCT" | "UNIVERSAL"
        ),
    }
}

/// A set of allowed values of one field, as a bit mask (bit n = value n).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bits(u64);

impl Bits {
    fn has(self, n: u32) -> bool {
        n < 64 && self.0 & (1 << n) != 0
    }

    fn values(self) -> impl Iterator<Item = u32> {
        (0..64).filter(move |n| self.has(*n))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum DayOfMonth {
    /// `?` or `*`.
    Any,
    Days(Bits),
    /// `L` or `L-n`: the last day of the month, minus n days.
    Last(u32),
    /// `LW`: the last weekday (Mon–Fri) of the month.
    LastWeekday,
    /// `nW`: the weekday nearest day n, within the month.
    NearestWeekday(u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum DayOfWeek {
    /// `?` or `*`.
    Any,
    /// 1 = Sunday … 7 = Saturday.
    Days(Bits),
    /// `dL`: the last such day of the month.
    Last(u32),
    /// `d#n`: the n-th such day of the month.
    Nth(u32, u32),
}

/// Allowed years as (first, last, step) ranges.
type YearRanges = Vec<(i64, i64, i64)>;

/// A parsed AWS cron expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: Bits,
    hours: Bits,
    day_of_month: DayOfMonth,
    months: Bits,
    day_of_week: DayOfWeek,
    /// Allowed years; `None` is every year.
    years: Option<YearRanges>,
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

fn value(token: &str, min: u32, max: u32, names: &[&str]) -> Result<u32, ScheduleError> {
    let upper = token.to_ascii_uppercase();
    if let Some(i) = names.iter().position(|n| *n == upper) {
        // Names start at `min` (JAN = 1, SUN = 1).
        return Ok(min + u32::try_from(i).unwrap_or(0));
    }
    match token.parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => err(format!("{token:?} is not a value from {min} to {max}")),
    }
}

/// Parses a list field (`*`, `n`, `a-b`, `*/s`, `a/s`, `a-b/s`, comma-separated).
fn bits(field: &str, min: u32, max: u32, names: &[&str]) -> Result<Bits, ScheduleError> {
    let mut mask = 0u64;
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => match s.parse::<u32>() {
                Ok(step) if step > 0 => (r, step),
                _ => return err(format!("{item:?}: the step must be a positive number")),
            },
            None => (item, 1),
        };
        let (low, high) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a, min, max, names)?, value(b, min, max, names)?)
        } else {
            let v = value(range, min, max, names)?;
            // `a/s` runs from a to the end of the range.
            (v, if item.contains('/') { max } else { v })
        };
        if low > high {
            return err(format!("{item:?}: the range runs backwards"));
        }
        let mut n = low;
        while n <= high {
            mask |= 1 << n;
            n += step;
        }
    }
    Ok(Bits(mask))
}

impl Cron {
    /// Parses the six fields inside `cron(...)`.
    pub fn parse(fields: &str) -> Result<Self, ScheduleError> {
        let parts: Vec<&str> = fields.split_whitespace().collect();
        let [minutes, hours, dom, month, dow, rest @ ..] = parts.as_slice() else {
            return err(format!(
                "cron({fields}): expected six fields: minutes hours day-of-month month day-of-week year"
            ));
        };
        let year = match rest {
            [] => "*",
            [year] => year,
            _ => return err(format!("cron({fields}): more than six fields")),
        };
        let cron = Self {
            minutes: bits(minutes, 0, 59, &[])?,
            hours: bits(hours, 0, 23, &[])?,
            day_of_month: Self::parse_dom(dom)?,
            months: bits(month, 1, 12, &MONTHS)?,
            day_of_week: Self::parse_dow(dow)?,
            years: Self::parse_years(year)?,
        };
        Ok(cron)
    }

    fn parse_dom(field: &str) -> Result<DayOfMonth, ScheduleError> {
        let upper = field.to_ascii_uppercase();
        Ok(match upper.as_str() {
            "?" | "*" => DayOfMonth::Any,
            "L" => DayOfMonth::Last(0),
            "LW" => DayOfMonth::LastWeekday,
            _ => {
                if let Some(offset) = upper.strip_prefix("L-") {
                    DayOfMonth::Last(value(offset, 0, 30, &[])?)
                } else if let Some(day) = upper.strip_suffix('W') {
                    DayOfMonth::NearestWeekday(value(day, 1, 31, &[])?)
                } else {
                    DayOfMonth::Days(bits(field, 1, 31, &[])?)
                }
            }
        })
    }

    fn parse_dow(field: &str) -> Result<DayOfWeek, ScheduleError> {
        let upper = field.to_ascii_uppercase();
        Ok(match upper.as_str() {
            "?" | "*" => DayOfWeek::Any,
            // A bare `L` in day-of-week is Saturday, the last day of the week.
            "L" => DayOfWeek::Days(Bits(1 << 7)),
            _ => {
                if let Some((day, nth)) = upper.split_once('#') {
                    DayOfWeek::Nth(value(day, 1, 7, &WEEKDAYS)?, value(nth, 1, 5, &[])?)
                } else if let Some(day) = upper.strip_suffix('L') {
                    DayOfWeek::Last(value(day, 1, 7, &WEEKDAYS)?)
                } else {
                    DayOfWeek::Days(bits(field, 1, 7, &WEEKDAYS)?)
                }
            }
        })
    }

    fn parse_years(field: &str) -> Result<Option<YearRanges>, ScheduleError> {
        if field == "*" || field == "?" {
            return Ok(None);
        }
        let mut out = Vec::new();
        for item in field.split(',') {
            let (range, step) = match item.split_once('/') {
                Some((r, s)) => match s.parse::<i64>() {
                    Ok(step) if step > 0 => (r, step),
                    _ => return err(format!("{item:?}: the step must be a positive number")),
                },
                None => (item, 1),
            };
            let year = |t: &str| match t.parse::<i64>() {
                Ok(y) if (1970..=2199).contains(&y) => Ok(y),
                _ => err(format!("{t:?} is not a year from 1970 to 2199")),
            };
            let (low, high) = if range == "*" {
                (1970, 2199)
            } else if let Some((a, b)) = range.split_once('-') {
                (year(a)?, year(b)?)
            } else {
                let y = year(range)?;
                (y, if item.contains('/') { 2199 } else { y })
            };
            out.push((low, high, step));
        }
        Ok(Some(out))
    }

    fn year_matches(&self, year: i64) -> bool {
        self.years.as_ref().is_none_or(|ranges| {
            ranges
                .iter()
                .any(|(low, high, step)| (*low..=*high).contains(&year) && (year - low) % step == 0)
        })
    }

    /// Whether the schedule runs on this calendar day.
    fn runs_on(&self, days: i64) -> bool {
        let (year, month, day) = civil(days);
        if !self.year_matches(year) || !self.months.has(month) {
            return false;
        }
        let last = days_in_month(year, month);
        // 1 = Sunday … 7 = Saturday; 1970-01-01 was a Thursday (5).
        let weekday = |d: i64| u32::try_from((d + 4).rem_euclid(7)).unwrap_or(0) + 1;
        let wd = weekday(days);
        let dom_ok = match &self.day_of_month {
            DayOfMonth::Any => true,
            DayOfMonth::Days(b) => b.has(day),
            DayOfMonth::Last(offset) => last.checked_sub(*offset) == Some(day),
            DayOfMonth::LastWeekday => {
                let mut d = last;
                while matches!(weekday(days - i64::from(day) + i64::from(d)), 1 | 7) {
                    d -= 1;
                }
                d == day
            }
            DayOfMonth::NearestWeekday(target) => {
                let target = (*target).min(last);
                let first_of_month = days - i64::from(day) + 1;
                let t_days = first_of_month + i64::from(target) - 1;
                let nearest = match weekday(t_days) {
                    7 if target == 1 => target + 2,
                    7 => target - 1,
                    1 if target == last => target - 2,
                    1 => target + 1,
                    _ => target,
                };
                nearest == day
            }
        };
        let dow_ok = match &self.day_of_week {
            DayOfWeek::Any => true,
            DayOfWeek::Days(b) => b.has(wd),
            DayOfWeek::Last(d) => wd == *d && day + 7 > last,
            DayOfWeek::Nth(d, n) => wd == *d && (day - 1) / 7 + 1 == *n,
        };
        dom_ok && dow_ok
    }

    fn longest_gap_seconds(&self, at: Timestamp) -> Option<i64> {
        let times: Vec<i64> = self
            .hours
            .values()
            .flat_map(|h| self.minutes.values().map(move |m| i64::from(h * 60 + m)))
            .collect();
        let (first, last) = (*times.first()?, *times.last()?);
        let within_day = times.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
        let today = at.epoch_seconds().div_euclid(86_400);
        let mut longest = within_day;
        let mut previous: Option<i64> = None;
        let mut runs_ahead = false;
        for days in (today - HORIZON_DAYS)..=(today + HORIZON_DAYS) {
            if !self.runs_on(days) {
                continue;
            }
            if let Some(prev) = previous {
                longest = longest.max((days - prev) * 1440 + first - last);
            }
            previous = Some(days);
            runs_ahead |= days >= today;
        }
        if !runs_ahead || (longest == 0 && times.len() < 2) {
            // Runs at most once in the whole horizon, or never again.
            return None;
        }
        Some(longest * 60)
    }
}

fn civil(days: i64) -> (i64, u32, u32) {
    let (y, m, d, ..) = Timestamp::from_epoch_seconds(days * 86_400).civil();
    (y, m, d)
}

/// Parses a duration such as `26h`, `90m`, `2d`, `1w`, `1d12h`, `36 hours` or ISO 8601
/// `PT26H` / `P1D`, into seconds. Between one minute and 366 days.
pub fn parse_duration(text: &str) -> Result<i64, ScheduleError> {
    let original = text.trim();
    let upper = original.to_ascii_uppercase();
    let body = upper
        .strip_prefix('P')
        .map(|rest| rest.replacen('T', "", 1))
        .unwrap_or_else(|| upper.clone());
    let mut total: i64 = 0;
    let mut number = String::new();
    let mut unit = String::new();
    let mut parts = 0;
    let flush =
        |number: &mut String, unit: &mut String, total: &mut i64| -> Result<(), ScheduleError> {
            let n: i64 = number.parse().map_err(|_| {
                ScheduleError(format!("{original:?}: expected a number before {unit:?}"))
            })?;
            let seconds = match unit.as_str() {
                "M" | "MIN" | "MINS" | "MINUTE" | "MINUTES" => 60,
                "H" | "HR" | "HRS" | "HOUR" | "HOURS" => 3600,
                "D" | "DAY" | "DAYS" => 86_400,
                "W" | "WEEK" | "WEEKS" => 7 * 86_400,
                _ => {
                    return Err(ScheduleError(format!(
                        "{original:?}: {unit:?} is not a unit (use m, h, d or w, e.g. 26h)"
                    )));
                }
            };
            *total = total.saturating_add(n.saturating_mul(seconds));
            number.clear();
            unit.clear();
            Ok(())
        };
    for c in body.chars() {
        if c.is_ascii_digit() {
            if !unit.is_empty() {
                flush(&mut number, &mut unit, &mut total)?;
                parts += 1;
            }
            number.push(c);
        } else if c.is_ascii_alphabetic() {
            unit.push(c);
        } else if !c.is_whitespace() {
            return err(format!(
                "{original:?}: unexpected {c:?} (use e.g. 26h, 2d, 1d12h)"
            ));
        }
    }
    if number.is_empty() {
        return err(format!("{original:?}: expected a duration such as 26h"));
    }
    flush(&mut number, &mut unit, &mut total)?;
    parts += 1;
    if parts == 0 || !(60..=366 * 86_400).contains(&total) {
        return err(format!(
            "{original:?}: a duration from 1 minute to 366 days is expected"
        ));
    }
    Ok(total)
}

/// `93600` → `26h`, `5400` → `1h30m`, `172800` → `2d`.
pub fn format_duration(seconds: i64) -> String {
    let mut rest = seconds.max(0) / 60;
    let days = rest / 1440;
    rest %= 1440;
    let (hours, minutes) = (rest / 60, rest % 60);
    let mut out = String::new();
    if days > 0 && (hours > 0 || minutes > 0) {
        // 1d12h reads worse than 36h for the RPOs people write.
        let hours = days * 24 + hours;
        out.push_str(&format!("{hours}h"));
    } else if days > 0 {
        out.push_str(&format!("{days}d"));
    } else if hours > 0 {
        out.push_str(&format!("{hours}h"));
    }
    if minutes > 0 || out.is_empty() {
        out.push_str(&format!("{minutes}m"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-23T12:00:00Z, a Monday.
    const AT: Timestamp = Timestamp::from_epoch_seconds(1_795_435_200);
    const H: i64 = 3600;
    const D: i64 = 86_400;

    fn gap(expr: &str) -> Option<i64> {
        Schedule::parse(expr)
            .unwrap_or_else(|e| panic!("{expr}: {e}"))
            .longest_gap_seconds(AT)
    }

    #[test]
    fn the_evaluation_instant_is_a_monday_noon() {
        assert_eq!(AT.to_string(), "2026-11-23T12:00:00Z");
    }

    #[test]
    fn cadence_of_common_schedules() {
        let cases: &[(&str, Option<i64>)] = &[
            ("cron(0 * ? * * *)", Some(H)),
            ("cron(0 */12 * * ? *)", Some(12 * H)),
            ("cron(0 5 ? * * *)", Some(D)),
            ("cron(30 1,13 ? * * *)", Some(12 * H)),
            // Uneven times of day: the longer stretch counts (22:00 → 06:00).
            ("cron(0 6,22 ? * * *)", Some(16 * H)),
            ("cron(0 3 ? * SUN *)", Some(7 * D)),
            ("cron(0 3 ? * 1 *)", Some(7 * D)),
            // Weekdays only: Friday to Monday is the longest gap.
            ("cron(0 3 ? * MON-FRI *)", Some(3 * D)),
            ("cron(0 3 ? * 2-6 *)", Some(3 * D)),
            // Monthly on the 1st: at most 31 days apart.
            ("cron(0 5 1 * ? *)", Some(31 * D)),
            // Last day of the month: July 31 → August 31.
            ("cron(0 5 L * ? *)", Some(31 * D)),
            // The first Sunday of the month: as much as five weeks apart.
            ("cron(0 5 ? * 1#1 *)", Some(35 * D)),
            ("cron(0 5 ? * SUNL *)", Some(35 * D)),
            // Yearly: 2028 is a leap year, so one of the years is 366 days long.
            ("cron(0 0 1 JAN ? *)", Some(366 * D)),
            ("rate(12 hours)", Some(12 * H)),
            ("rate(1 day)", Some(D)),
            // The year field has passed: the rule never runs again.
            ("cron(0 5 ? * * 2020)", None),
        ];
        for (expr, want) in cases {
            assert_eq!(gap(expr), *want, "{expr}");
        }
    }

    #[test]
    fn a_yearly_schedule_that_crosses_a_leap_day() {
        // 2027-03-01 → 2028-03-01 crosses 2028-02-29: 366 days.
        assert_eq!(gap("cron(0 0 1 MAR ? *)"), Some(366 * D));
    }

    #[test]
    fn nearest_weekday_and_last_weekday() {
        let cron = Cron::parse("0 5 LW * ? *").unwrap_or_else(|e| panic!("{e}"));
        // 2026-01-31 is a Saturday: the last weekday is Friday the 30th.
        let jan30 = Timestamp::from_civil(2026, 1, 30, 0, 0, 0).map(|t| t.epoch_seconds() / D);
        let jan31 = Timestamp::from_civil(2026, 1, 31, 0, 0, 0).map(|t| t.epoch_seconds() / D);
        assert_eq!(jan30.map(|d| cron.runs_on(d)), Some(true));
        assert_eq!(jan31.map(|d| cron.runs_on(d)), Some(false));
        let cron = Cron::parse("0 5 15W * ? *").unwrap_or_else(|e| panic!("{e}"));
        // 2026-02-15 is a Sunday: the nearest weekday is Monday the 16th.
        let feb16 = Timestamp::from_civil(2026, 2, 16, 0, 0, 0).map(|t| t.epoch_seconds() / D);
        assert_eq!(feb16.map(|d| cron.runs_on(d)), Some(true));
    }

    #[test]
    fn malformed_schedules_are_errors_not_guesses() {
        for expr in [
            "cron(0 5 * *)",
            "cron(61 5 ? * * *)",
            "cron(0 25 ? * * *)",
            "cron(0 5 ? * FUNDAY *)",
            "cron(0 5/0 ? * * *)",
            "cron(0 9-5 ? * * *)",
            "rate(0 hours)",
            "rate(5 fortnights)",
            "every day at five",
            "",
        ] {
            assert!(Schedule::parse(expr).is_err(), "{expr}");
        }
    }

    #[test]
    fn rule_rpo_adds_start_window_dst_slack_and_grace() {
        // Daily in UTC, start window 1 h, grace 1 h: 26 h.
        assert_eq!(rule_rpo_seconds(D, 60, Some("Etc/UTC"), H), 26 * H);
        assert_eq!(rule_rpo_seconds(D, 60, None, H), 26 * H);
        // The same rule on Berlin's clock: one more hour for daylight saving.
        assert_eq!(rule_rpo_seconds(D, 60, Some("Europe/Berlin"), H), 27 * H);
        // AWS's default start window is 8 hours.
        assert_eq!(rule_rpo_seconds(D, 480, Some("UTC"), H), 33 * H);
    }

    #[test]
    fn durations_people_write_in_tags() {
        let cases: &[(&str, i64)] = &[
            ("26h", 26 * H),
            ("26H", 26 * H),
            ("90m", 90 * 60),
            ("2d", 2 * D),
            ("1w", 7 * D),
            ("1d12h", 36 * H),
            ("36 hours", 36 * H),
            ("PT26H", 26 * H),
            ("P1D", D),
            ("P1DT6H", 30 * H),
        ];
        for (text, want) in cases {
            assert_eq!(parse_duration(text), Ok(*want), "{text}");
        }
        for bad in ["", "26", "h", "-5h", "26x", "0h", "400d", "1.5h", "26h!"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_read_back_the_way_people_write_them() {
        assert_eq!(format_duration(26 * H), "26h");
        assert_eq!(format_duration(2 * D), "2d");
        assert_eq!(format_duration(36 * H), "36h");
        assert_eq!(format_duration(90 * 60), "1h30m");
        assert_eq!(format_duration(0), "0m");
    }
}
