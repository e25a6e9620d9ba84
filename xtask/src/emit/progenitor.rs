//! Runs progenitor (and through it typify) on the lowered spec. A panic inside either is
//! caught and reported with the operation it happened on, never passed on to the user.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use openapiv3::OpenAPI;
use progenitor_impl::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TypeImpl};
use quote::quote;

use crate::error::{GenError, Result, Skipped};
use crate::model::ApiModel;
use crate::normalise::Normalised;

/// Everything progenitor emitted, as one token tree: `pub mod types {..}` plus the client.
/// With `skip_unsupported`, an operation progenitor or typify cannot generate is left out (and
/// listed in `normalised.skipped`) and the rest generated again.
pub fn run(normalised: &mut Normalised, types_crate: &str, skip_unsupported: bool) -> Result<syn::File> {
    loop {
        let failure = match guarded(|| generate(&normalised.lowered, &normalised.model, types_crate)) {
            Ok(Ok(tokens)) => {
                return syn::parse2(tokens)
                    .map_err(|e| GenError::at("progenitor", format!("emitted invalid Rust: {e}")));
            }
            Ok(Err(e)) => e.to_string(),
            Err(panic) => panic,
        };
        let error = locate(&normalised.lowered, &normalised.model, types_crate, failure);
        match (&error.culprit, skip_unsupported) {
            (Some((path, method, name)), true) => {
                let spec_id = normalised.skipped_id(name);
                remove_operation(normalised, path, method, name);
                normalised.skipped.push(Skipped {
                    operation: spec_id,
                    route: format!("{} {path}", method.to_uppercase()),
                    class: "progenitor/typify",
                    reason: error.error,
                });
            }
            _ => return Err(error.error),
        }
    }
}

fn generate(
    lowered: &OpenAPI,
    model: &ApiModel,
    types_crate: &str,
) -> progenitor_impl::Result<proc_macro2::TokenStream> {
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Positional)
        // The operations are cut after building their request (`raw_client`) and never call
        // the hooks; `Expected` keeps a method that was not cut from compiling (its hook
        // calls find no impl) instead of silently sending without credentials.
        .with_hooks(HooksMode::Expected)
        .with_inner_type(quote!(crate::runtime::Runtime))
        .with_derive("PartialEq");
    for e in &model.string_enums {
        settings.with_replacement(
            &e.name,
            format!("::{types_crate}::{}", e.name),
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        );
    }
    for u in &model.unions {
        settings.with_replacement(
            &u.name,
            format!("::{types_crate}::{}", u.name),
            std::iter::empty(),
        );
    }
    Generator::new(&settings).generate_tokens(lowered)
}

/// A failure, with the operation it happened on when one could be found:
/// (path, method, operation name).
struct Located {
    error: GenError,
    culprit: Option<(String, String, String)>,
}

/// Finds the operation whose generation fails by bisection: generating half the operations
/// at a time, so a few dozen runs find it among thousands.
fn locate(lowered: &OpenAPI, model: &ApiModel, types_crate: &str, failure: String) -> Located {
    let all: Vec<(String, String)> = lowered
        .paths
        .paths
        .iter()
        .filter_map(|(path, item)| item.as_item().map(|item| (path, item)))
        .flat_map(|(path, item)| {
            item.iter()
                .map(move |(method, _)| (path.clone(), method.to_string()))
        })
        .collect();
    let fails = |subset: &[(String, String)]| {
        let only = restricted(lowered, subset);
        !matches!(guarded(|| generate(&only, model, types_crate)), Ok(Ok(_)))
    };
    if fails(&[]) {
        return Located {
            error: GenError::unsupported(
                "typify",
                "component schemas",
                format!("typify cannot convert the schemas: {failure}"),
            ),
            culprit: None,
        };
    }
    let mut suspects: &[(String, String)] = &all;
    while suspects.len() > 1 {
        let (left, right) = suspects.split_at(suspects.len() / 2);
        suspects = if fails(left) {
            left
        } else if fails(right) {
            right
        } else {
            // Only the two halves together fail; no single operation to blame.
            break;
        };
    }
    match suspects {
        [(path, method)] => {
            let name = operation_name(lowered, path, method);
            let schemas = schemas_used(lowered, path, method);
            let used = if schemas.is_empty() {
                String::new()
            } else {
                format!(" (the schemas it uses: {})", schemas.join(", "))
            };
            Located {
                error: GenError::unsupported(
                    "progenitor/typify",
                    format!("operation {name} ({} {path})", method.to_uppercase()),
                    format!("progenitor/typify cannot generate this operation{used}: {failure}"),
                ),
                culprit: Some((path.clone(), method.clone(), name)),
            }
        }
        _ => Located {
            error: GenError::at("progenitor", failure),
            culprit: None,
        },
    }
}

/// The component schemas the operation at `path`/`method` names directly (its parameters,
/// body and responses), so an error points at the schema to look at.
fn schemas_used(lowered: &OpenAPI, path: &str, method: &str) -> Vec<String> {
    let op = lowered
        .paths
        .paths
        .get(path)
        .and_then(|item| item.as_item())
        .and_then(|item| item.iter().find(|(m, _)| *m == method))
        .map(|(_, op)| op);
    let text = op
        .and_then(|op| serde_json::to_string(op).ok())
        .unwrap_or_default();
    let mut names: Vec<String> = text
        .split("\"#/components/schemas/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|name| format!("#/components/schemas/{name}"))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// `lowered` with only the operations in `keep`.
fn restricted(lowered: &OpenAPI, keep: &[(String, String)]) -> OpenAPI {
    let mut only = lowered.clone();
    only.paths.paths.retain(|path, item| {
        let openapiv3::ReferenceOr::Item(item) = item else {
            return false;
        };
        let kept = |method: &str| keep.iter().any(|(p, m)| p == path && m == method);
        for (method, slot) in [
            ("get", &mut item.get),
            ("put", &mut item.put),
            ("post", &mut item.post),
            ("delete", &mut item.delete),
            ("options", &mut item.options),
            ("head", &mut item.head),
            ("patch", &mut item.patch),
            ("trace", &mut item.trace),
        ] {
            if !kept(method) {
                *slot = None;
            }
        }
        item.iter().next().is_some()
    });
    only
}

fn operation_name(lowered: &OpenAPI, path: &str, method: &str) -> String {
    lowered
        .paths
        .paths
        .get(path)
        .and_then(|item| item.as_item())
        .and_then(|item| item.iter().find(|(m, _)| *m == method))
        .and_then(|(_, op)| op.operation_id.clone())
        .unwrap_or_else(|| "?".to_string())
}

/// Takes the operation out of both the lowered spec and the model.
fn remove_operation(normalised: &mut Normalised, path: &str, method: &str, name: &str) {
    let rest: Vec<(String, String)> = normalised
        .lowered
        .paths
        .paths
        .iter()
        .filter_map(|(p, item)| item.as_item().map(|item| (p, item)))
        .flat_map(|(p, item)| item.iter().map(move |(m, _)| (p.clone(), m.to_string())))
        .filter(|(p, m)| !(p == path && m == method))
        .collect();
    normalised.lowered = restricted(&normalised.lowered, &rest);
    normalised.model.operations.retain(|op| op.name != name);
}

thread_local! {
    static CAPTURE: RefCell<Option<String>> = const { RefCell::new(None) };
}
static HOOK: Once = Once::new();

/// Runs `f`, turning a panic into its message. The panic hook is process-wide, so it is
/// installed once and captures only on threads inside `guarded`; others keep the default.
fn guarded<T>(f: impl FnOnce() -> T) -> std::result::Result<T, String> {
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let captured = CAPTURE.with(|c| {
                let mut slot = c.borrow_mut();
                match slot.as_mut() {
                    Some(message) => {
                        *message = match info.location() {
                            Some(at) => format!(
                                "{} (at {}:{})",
                                payload_text(info.payload()),
                                at.file(),
                                at.line()
                            ),
                            None => payload_text(info.payload()),
                        };
                        true
                    }
                    None => false,
                }
            });
            if !captured {
                default(info);
            }
        }));
    });
    CAPTURE.with(|c| *c.borrow_mut() = Some(String::new()));
    let outcome = panic::catch_unwind(AssertUnwindSafe(f));
    let message = CAPTURE.with(|c| c.borrow_mut().take()).unwrap_or_default();
    outcome.map_err(|_| message)
}

fn payload_text(payload: &dyn std::any::Any) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-text payload".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_its_message() {
        let outcome: std::result::Result<(), String> = guarded(|| panic!("typify says no"));
        let message = outcome.expect_err("the panic is caught");
        assert!(message.starts_with("typify says no (at "), "{message}");
    }
}
