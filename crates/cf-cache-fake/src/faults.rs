//! Seeded, deterministic fault draws: the fate of request number `seq` depends only on the
//! seed and `seq`.

use std::time::Duration;

use crate::config::Faults;
use crate::record::Fault;

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Draw {
    pub latency: Duration,
    pub fault: Option<Fault>,
}

/// SplitMix64: a well-mixed 64-bit value from any input (Steele, Lea and Flood's finaliser).
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform value in `0..1` from the top 53 bits.
fn unit(bits: u64) -> f64 {
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

pub(crate) fn draw(faults: &Faults, seq: u64) -> Draw {
    let first = mix(faults.seed ^ mix(seq));
    let second = mix(first);
    let latency = faults.latency.map_or(Duration::ZERO, |(low, high)| {
        low + (high - low).mul_f64(unit(second))
    });
    let roll = unit(first);
    let mut edge = 0.0;
    let mut fault = None;
    for (rate, kind) in [
        (faults.server_error_rate, Fault::ServerError),
        (faults.rate_limit_rate, Fault::RateLimit),
        (faults.reset_rate, Fault::Reset),
        (faults.truncate_rate, Fault::Truncated),
        (faults.html_rate, Fault::Html),
    ] {
        edge += rate;
        if roll < edge {
            fault = Some(kind);
            break;
        }
    }
    Draw { latency, fault }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faults() -> Faults {
        Faults {
            seed: 7,
            latency: Some((Duration::from_millis(1), Duration::from_millis(5))),
            server_error_rate: 0.2,
            rate_limit_rate: 0.1,
            reset_rate: 0.05,
            truncate_rate: 0.05,
            html_rate: 0.1,
            lost_after_apply: false,
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_faults() {
        let a: Vec<Draw> = (0..1_000).map(|seq| draw(&faults(), seq)).collect();
        let b: Vec<Draw> = (0..1_000).map(|seq| draw(&faults(), seq)).collect();
        assert_eq!(a, b);
        let other = Faults { seed: 8, ..faults() };
        let c: Vec<Draw> = (0..1_000).map(|seq| draw(&other, seq)).collect();
        assert_ne!(a, c);
    }

    #[test]
    fn rates_are_met_over_many_requests() {
        let n = 100_000;
        let draws: Vec<Draw> = (0..n).map(|seq| draw(&faults(), seq)).collect();
        let share = |kind| draws.iter().filter(|d| d.fault == Some(kind)).count() as f64 / n as f64;
        for (kind, rate) in [
            (Fault::ServerError, 0.2),
            (Fault::RateLimit, 0.1),
            (Fault::Html, 0.1),
        ] {
            assert!((share(kind) - rate).abs() < 0.01, "{kind:?}: {}", share(kind));
        }
        assert!(
            draws
                .iter()
                .all(|d| d.latency >= Duration::from_millis(1) && d.latency <= Duration::from_millis(5))
        );
    }

    #[test]
    fn no_rates_no_faults() {
        assert!((0..1_000).all(|seq| draw(&Faults::default(), seq)
            == Draw {
                latency: Duration::ZERO,
                fault: None
            }));
    }
}
