//! The generator's error type: every failure names the place in the spec it came from.

use std::fmt;

/// A generation failure. `place` names where in the spec (or which pipeline stage) it happened,
/// so a maintainer can go straight to the offending line or schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenError {
    /// Where the problem is: `spec.yaml:12:5`, `#/components/schemas/Foo`, `operation list_x`.
    pub place: String,
    /// What is wrong and, where possible, what to do about it.
    pub message: String,
}

impl GenError {
    /// Builds an error at `place`.
    pub fn at(place: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            place: place.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for GenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.message)
    }
}

impl std::error::Error for GenError {}

/// Result alias used throughout the generator.
pub type Result<T> = std::result::Result<T, GenError>;
