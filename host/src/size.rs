//! Sizes as people write them: `64MiB`, `512KB`, `1GiB`, or a number of
//! bytes, for the per-VU memory cap.

/// Parses a size into bytes; binary (`KiB`, `MiB`, `GiB`) and decimal
/// (`KB`, `MB`, `GB`) units, case-insensitive, or plain bytes.
pub fn parse(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let bad =
        || format!("`{text}` is not a size: write e.g. `64MiB`, `512KB` or a number of bytes");
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "kib" => 1 << 10,
        "mb" => 1_000_000,
        "mib" => 1 << 20,
        "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        _ => return Err(bad()),
    };
    n.checked_mul(factor).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_mistakes() {
        assert_eq!(parse("64MiB"), Ok(64 << 20));
        assert_eq!(parse("512 kb"), Ok(512_000));
        assert_eq!(parse("1GiB"), Ok(1 << 30));
        assert_eq!(parse("4096"), Ok(4096));
        for bad in ["", "MiB", "12 parsecs", "-5MiB", "99999999999999999999GiB"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
