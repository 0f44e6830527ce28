//! [`Timestamp`]: a UTC instant that reads every form Defender sends.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, TimeZone, Timelike, Utc};
use serde::de::{Deserialize, Deserializer, Visitor};
use serde::{Serialize, Serializer};

/// A UTC instant from a Defender payload.
///
/// Defender writes 0 to 7 fractional digits (`2021-01-26T20:33:59.2Z`,
/// `2021-01-26T20:33:57.7220239Z`), sometimes `+00:00` instead of `Z`, and
/// older payloads leave the zone out. All of these parse; a missing zone
/// means UTC, and any other offset is converted to UTC. Written back, a
/// timestamp is always `YYYY-MM-DDTHH:MM:SS[.fraction]Z` with the shortest
/// fraction that keeps the instant, so `.2000000Z` comes back as `.2Z`.
///
/// ```
/// use defender_siem::models::Timestamp;
///
/// let a: Timestamp = "2021-01-26T20:33:59.2Z".parse()?;
/// let b: Timestamp = "2021-01-26T20:33:59.2000000+00:00".parse()?;
/// assert_eq!(a, b);
/// assert_eq!(a.to_string(), "2021-01-26T20:33:59.2Z");
/// # Ok::<(), defender_siem::models::TimestampError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

/// A string that is not a timestamp Defender could have sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not an ISO 8601 / RFC 3339 timestamp")]
pub struct TimestampError {
    value: String,
}

impl Timestamp {
    /// Wraps a chrono instant. A leap second (`:60`) becomes the first
    /// moment of the next second, so that it writes and reads back the same.
    pub fn from_datetime(instant: DateTime<Utc>) -> Self {
        Timestamp(fold_leap_second(instant))
    }

    /// The instant as a chrono value.
    pub fn as_datetime(&self) -> DateTime<Utc> {
        self.0
    }

    /// Seconds since the Unix epoch, with the fraction (for Splunk's `time`).
    pub fn unix_seconds_f64(&self) -> f64 {
        self.0.timestamp() as f64 + f64::from(self.0.timestamp_subsec_nanos()) / 1e9
    }

    /// Milliseconds since the Unix epoch (for CEF and OCSF).
    pub fn unix_millis(&self) -> i64 {
        self.0.timestamp_millis()
    }

    /// Parses one of the forms described on the type.
    pub fn parse(value: &str) -> Result<Self, TimestampError> {
        if let Some(fast) = parse_common_form(value.as_bytes()) {
            return Ok(Timestamp(fast));
        }
        let trimmed = value.trim();
        if let Ok(with_zone) = DateTime::parse_from_rfc3339(trimmed) {
            return Ok(Timestamp::from_datetime(with_zone.with_timezone(&Utc)));
        }
        // No zone at all: Defender's older payloads mean UTC.
        NaiveDateTime::parse_from_str(trimmed, "%Y-%m-%dT%H:%M:%S%.f")
            .or_else(|_| NaiveDateTime::parse_from_str(trimmed, "%Y-%m-%d %H:%M:%S%.f"))
            .map(|naive| Timestamp::from_datetime(Utc.from_utc_datetime(&naive)))
            .map_err(|_| TimestampError {
                value: value.chars().take(64).collect(),
            })
    }

    /// Appends the normalized form (as [`fmt::Display`] writes it) to `out`,
    /// without going through the formatting machinery.
    pub(crate) fn append_normalized(&self, out: &mut Vec<u8>) {
        let mut buf = [0u8; 40];
        out.extend_from_slice(self.write_normalized(&mut buf).as_bytes());
    }

    /// Writes the normalized form into `buf` and returns it as a `&str`.
    fn write_normalized<'b>(&self, buf: &'b mut [u8; 40]) -> &'b str {
        use chrono::Datelike as _;
        let t = self.0;
        let mut out = Cursor {
            buf: &mut *buf,
            len: 0,
        };
        // Years outside 0..=9999 cannot come from Defender; print the low
        // four digits rather than fail.
        out.digits(t.year().rem_euclid(10_000) as u32, 4);
        out.byte(b'-');
        out.digits(t.month(), 2);
        out.byte(b'-');
        out.digits(t.day(), 2);
        out.byte(b'T');
        out.digits(t.hour(), 2);
        out.byte(b':');
        out.digits(t.minute(), 2);
        out.byte(b':');
        out.digits(t.second(), 2);
        // A leap second shows as nanos >= 1e9; keep the fraction part only.
        let mut nanos = t.nanosecond() % 1_000_000_000;
        if nanos != 0 {
            out.byte(b'.');
            let mut width = 9;
            while nanos.is_multiple_of(10) {
                nanos /= 10;
                width -= 1;
            }
            out.digits(nanos, width);
        }
        out.byte(b'Z');
        let len = out.len;
        // Only ASCII digits and separators were written above.
        std::str::from_utf8(&buf[..len]).unwrap_or("")
    }
}

/// Reads the form Defender nearly always sends,
/// `YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM]`, without chrono's general
/// parser (timestamps are the most frequent values in an alert). Returns
/// `None` for anything else, which then goes the general way.
fn parse_common_form(b: &[u8]) -> Option<DateTime<Utc>> {
    fn num(b: &[u8]) -> Option<u32> {
        b.iter().try_fold(0u32, |acc, d| {
            d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
        })
    }
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (num(&b[0..4])?, num(&b[5..7])?, num(&b[8..10])?);
    let (hour, minute, second) = (num(&b[11..13])?, num(&b[14..16])?, num(&b[17..19])?);
    let mut rest = &b[19..];
    let mut nanos = 0u32;
    if let Some((b'.', tail)) = rest.split_first() {
        let digits = tail.iter().take_while(|d| d.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        // Up to nanoseconds; extra digits only truncate, as chrono does.
        let kept = digits.min(9);
        nanos = num(&tail[..kept])? * 10u32.pow((9 - kept) as u32);
        rest = &tail[digits..];
    }
    let offset_seconds: i64 = match rest {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let minutes = i64::from(num(&[*h1, *h2])? * 60 + num(&[*m1, *m2])?);
            if *sign == b'+' {
                minutes * 60
            } else {
                -minutes * 60
            }
        }
        _ => return None,
    };
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let days = days_since_epoch(i64::from(year), i64::from(month), i64::from(day));
    let seconds =
        days * 86_400 + i64::from(hour) * 3_600 + i64::from(minute) * 60 + i64::from(second)
            - offset_seconds;
    DateTime::from_timestamp(seconds, nanos)
}

/// chrono keeps a leap second as second 59 with nanoseconds ≥ 1e9, which
/// the written form cannot show; it is moved to the next second instead.
fn fold_leap_second(instant: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = instant.nanosecond();
    if nanos < 1_000_000_000 {
        return instant;
    }
    instant
        .with_nanosecond(nanos - 1_000_000_000)
        .map_or(instant, |t| t + chrono::Duration::seconds(1))
}

/// Days in `month` (1–12) of `year` in the proleptic Gregorian calendar.
fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given civil date (a valid one), by the
/// usual era arithmetic: years counted from March so the leap day is last.
fn days_since_epoch(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// A tiny writer over a fixed stack buffer (no allocation per timestamp).
struct Cursor<'b> {
    buf: &'b mut [u8; 40],
    len: usize,
}

impl Cursor<'_> {
    fn byte(&mut self, b: u8) {
        self.buf[self.len] = b;
        self.len += 1;
    }

    fn digits(&mut self, mut value: u32, width: usize) {
        for i in (0..width).rev() {
            self.buf[self.len + i] = b'0' + (value % 10) as u8;
            value /= 10;
        }
        self.len += width;
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(instant: DateTime<Utc>) -> Self {
        Timestamp::from_datetime(instant)
    }
}

impl From<Timestamp> for DateTime<Utc> {
    fn from(ts: Timestamp) -> Self {
        ts.0
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(s)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 40];
        f.pad(self.write_normalized(&mut buf))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 40];
        s.serialize_str(self.write_normalized(&mut buf))
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TimestampVisitor;
        impl Visitor<'_> for TimestampVisitor {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an ISO 8601 timestamp string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Timestamp, E> {
                Timestamp::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_str(TimestampVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_to_seven_fraction_digits_parse_to_the_same_instant() {
        let forms = [
            "2021-01-26T20:33:59Z",
            "2021-01-26T20:33:59.0Z",
            "2021-01-26T20:33:59.00Z",
            "2021-01-26T20:33:59.000Z",
            "2021-01-26T20:33:59.0000Z",
            "2021-01-26T20:33:59.00000Z",
            "2021-01-26T20:33:59.000000Z",
            "2021-01-26T20:33:59.0000000Z",
            "2021-01-26T20:33:59+00:00",
            "2021-01-26T20:33:59.0000000+00:00",
            "2021-01-26T20:33:59",
            "2021-01-26T21:33:59+01:00",
        ];
        let first = Timestamp::parse(forms[0]).unwrap();
        for form in forms {
            assert_eq!(Timestamp::parse(form).unwrap(), first, "{form}");
        }
    }

    #[test]
    fn a_leap_second_reads_as_the_next_second_and_round_trips() {
        for (text, expected) in [
            ("2020-09-30T14:09:60.35743Z", "2020-09-30T14:10:00.35743Z"),
            ("2016-12-31T23:59:60Z", "2017-01-01T00:00:00Z"),
            ("2016-12-31T23:59:60.5", "2017-01-01T00:00:00.5Z"),
        ] {
            let ts = Timestamp::parse(text).unwrap();
            assert_eq!(ts.to_string(), expected, "{text}");
            assert_eq!(Timestamp::parse(&ts.to_string()).unwrap(), ts, "{text}");
        }
    }

    #[test]
    fn fast_path_agrees_with_chrono_across_calendar_edges() {
        let cases = [
            "1970-01-01T00:00:00Z",
            "1969-12-31T23:59:59.999Z",
            "0001-01-01T00:00:00Z",
            "2000-02-29T12:00:00Z",
            "2024-02-29T23:59:59.1234567Z",
            "2100-03-01T00:00:00+05:30",
            "2026-11-29T10:11:12.5-08:00",
            "9999-12-31T23:59:59Z",
        ];
        for text in cases {
            let fast = parse_common_form(text.as_bytes()).unwrap();
            let general = DateTime::parse_from_rfc3339(text)
                .unwrap()
                .with_timezone(&Utc);
            assert_eq!(fast, general, "{text}");
        }
        for invalid in [
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-04-31T00:00:00Z",
            "2024-01-01T24:00:00Z",
        ] {
            assert!(parse_common_form(invalid.as_bytes()).is_none(), "{invalid}");
        }
    }

    #[test]
    fn seven_digits_keep_their_hundred_nanoseconds() {
        let ts = Timestamp::parse("2021-01-26T20:33:57.7220239Z").unwrap();
        assert_eq!(ts.as_datetime().nanosecond(), 722_023_900);
        assert_eq!(ts.to_string(), "2021-01-26T20:33:57.7220239Z");
    }

    #[test]
    fn normalized_form_trims_trailing_zeros() {
        let ts = Timestamp::parse("2024-05-02T09:14:05.2000000+00:00").unwrap();
        assert_eq!(ts.to_string(), "2024-05-02T09:14:05.2Z");
        let whole = Timestamp::parse("2024-05-02T09:14:05.000Z").unwrap();
        assert_eq!(whole.to_string(), "2024-05-02T09:14:05Z");
    }

    #[test]
    fn garbage_is_rejected_with_the_value_named() {
        let err = Timestamp::parse("yesterday").unwrap_err();
        assert!(err.to_string().contains("`yesterday`"));
        assert!(Timestamp::parse("2021-13-40T00:00:00Z").is_err());
        assert!(Timestamp::parse("").is_err());
    }

    #[test]
    fn fast_path_agrees_with_chrono() {
        for form in [
            "2021-01-26T20:33:57.7220239Z",
            "2021-01-26T20:33:57Z",
            "2021-01-26T20:33:57.1+05:30",
            "2021-01-26T20:33:57.123456789123-08:00",
            "2024-02-29T23:59:59.9999999Z",
        ] {
            let fast = parse_common_form(form.as_bytes()).unwrap();
            let general = DateTime::parse_from_rfc3339(form)
                .unwrap()
                .with_timezone(&Utc);
            assert_eq!(fast, general, "{form}");
        }
        for odd in [
            "2021-02-30T00:00:00Z",
            "2021-01-26T25:00:00Z",
            "2021-01-26T20:33:57.Z",
            "2021-01-26 20:33:57Z",
            "2021-01-26T20:33:57+0530",
        ] {
            assert!(parse_common_form(odd.as_bytes()).is_none(), "{odd}");
        }
    }

    #[test]
    fn epoch_helpers() {
        let ts = Timestamp::parse("1970-01-01T00:00:01.5Z").unwrap();
        assert_eq!(ts.unix_millis(), 1500);
        assert!((ts.unix_seconds_f64() - 1.5).abs() < 1e-9);
    }
}
