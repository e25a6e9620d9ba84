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
    /// For a construct the generator does not support (as opposed to a broken spec), its class
    /// (`parameter style`, `typify`, ...): such an operation can be skipped.
    pub unsupported: Option<&'static str>,
}

impl GenError {
    /// Builds an error at `place`.
    pub fn at(place: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            place: place.into(),
            message: message.into(),
            unsupported: None,
        }
    }

    /// Builds an error for a construct of class `class` the generator does not support.
    pub fn unsupported(class: &'static str, place: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            unsupported: Some(class),
            ..Self::at(place, message)
        }
    }
}

impl fmt::Display for GenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.message)
    }
}

impl std::error::Error for GenError {}

/// An operation left out by `--skip-unsupported`, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The spec's `operationId`.
    pub operation: String,
    /// `METHOD /path`.
    pub route: String,
    /// What kind of construct stopped it (the error's class).
    pub class: &'static str,
    /// The error regen would have stopped with.
    pub reason: GenError,
}

/// Result alias used throughout the generator.
pub type Result<T> = std::result::Result<T, GenError>;
