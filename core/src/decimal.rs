//! Numbers written with a fixed count of decimals ("12.5", "0.33") without `core::fmt`'s float
//! formatting, which would add about 20 KB to the browser SDK's wasm for a few debug lines and
//! CSS lengths.

/// `value` rounded to `places` decimals (at most 6), written with exactly that many: `fixed(2.0 / 3.0, 2)`
/// is "0.67". Values beyond ±9e12, and NaN, are written as "0".
pub fn fixed(value: f64, places: u32) -> String {
    let places = places.min(6);
    let scale = 10_i64.pow(places);
    if !value.is_finite() || value.abs() > 9e12 {
        return "0".to_owned();
    }
    let scaled = (value * scale as f64).round() as i64;
    let whole = scaled.abs() / scale;
    let sign = if scaled < 0 { "-" } else { "" };
    if places == 0 {
        return format!("{sign}{whole}");
    }
    let fraction = (scaled.abs() % scale).to_string();
    let zeros = "0".repeat(places as usize - fraction.len());
    format!("{sign}{whole}.{zeros}{fraction}")
}

#[cfg(test)]
mod tests {
    use super::fixed;

    #[test]
    fn values_are_rounded_to_the_places_and_written_with_all_of_them() {
        assert_eq!(fixed(2.0 / 3.0, 2), "0.67");
        assert_eq!(fixed(12.0, 1), "12.0");
        assert_eq!(fixed(-3.04, 1), "-3.0");
        assert_eq!(fixed(-0.04, 1), "0.0");
        assert_eq!(fixed(-0.06, 1), "-0.1");
        assert_eq!(fixed(1.005, 3), "1.005");
        assert_eq!(fixed(99.95, 0), "100");
        assert_eq!(fixed(0.5, 6), "0.500000");
        assert_eq!(fixed(f64::NAN, 2), "0");
        assert_eq!(fixed(1e20, 1), "0");
    }

    #[test]
    fn agrees_with_the_standard_formatting() {
        for step in -2000..2000 {
            let value = f64::from(step) * 0.37 + 0.004;
            assert_eq!(fixed(value, 1), format!("{value:.1}"), "{value}");
        }
    }
}
