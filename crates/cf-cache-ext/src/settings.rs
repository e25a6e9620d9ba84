//! The checks behind every `build()` of this crate: a setting that cannot work is a
//! [`ConfigError::InvalidSetting`] naming it and the values allowed, before any request.

use std::fmt::Display;
use std::time::Duration;

use cf_cache_client::ConfigError;

/// `value` if it is in `min..=max`.
pub(crate) fn in_range<T: PartialOrd + Display>(
    setting: &'static str,
    value: T,
    min: T,
    max: T,
) -> Result<T, ConfigError> {
    if min <= value && value <= max {
        Ok(value)
    } else {
        Err(ConfigError::invalid_setting(
            setting,
            value,
            format!("between {min} and {max}"),
        ))
    }
}

/// `value` if it is at least `min`.
pub(crate) fn at_least<T: PartialOrd + Display>(
    setting: &'static str,
    value: T,
    min: T,
) -> Result<T, ConfigError> {
    if value >= min {
        Ok(value)
    } else {
        Err(ConfigError::invalid_setting(
            setting,
            value,
            format!("at least {min}"),
        ))
    }
}

/// `value` if it is above zero.
pub(crate) fn above_zero(setting: &'static str, value: Duration) -> Result<Duration, ConfigError> {
    if value.is_zero() {
        Err(ConfigError::invalid_setting(setting, "0s", "above zero"))
    } else {
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_outside_the_range_names_the_setting_and_the_range() {
        assert_eq!(in_range("per_page", 100, 1, 100), Ok(100));
        let refused = in_range("per_page", 101, 1, 100).expect_err("out of range");
        assert_eq!(refused.to_string(), "per_page must be between 1 and 100, not 101");
        assert_eq!(
            at_least("max_pages", 0u64, 1).expect_err("below").to_string(),
            "max_pages must be at least 1, not 0"
        );
        assert_eq!(
            above_zero("deadline", Duration::ZERO)
                .expect_err("zero")
                .to_string(),
            "deadline must be above zero, not 0s"
        );
    }
}
