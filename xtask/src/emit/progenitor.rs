//! Runs progenitor (and through it typify) on the lowered spec. A panic inside either is
//! caught and reported with the operation it happened on, never passed on to the user.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use openapiv3::OpenAPI;
use progenitor_impl::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TypeImpl};
use quote::quote;

use crate::error::{GenError, Result};
use crate::model::ApiModel;

/// Everything progenitor emitted, as one token tree: `pub mod types {..}` plus the client.
pub fn run(lowered: &OpenAPI, model: &ApiModel, types_crate: &str) -> Result<syn::File> {
    let tokens = match guarded(|| generate(lowered, model, types_crate)) {
        Ok(Ok(tokens)) => tokens,
        Ok(Err(e)) => return Err(GenError::at("progenitor", e.to_string())),
        Err(panic) => return Err(locate_panic(lowered, model, types_crate, panic)),
    };
    syn::parse2(tokens).map_err(|e| GenError::at("progenitor", format!("emitted invalid Rust: {e}")))
}

fn generate(
    lowered: &OpenAPI,
    model: &ApiModel,
    types_crate: &str,
) -> progenitor_impl::Result<proc_macro2::TokenStream> {
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Positional)
        // Auth, retries and tracing live in the hand-written runtime's `ClientHooks` impl;
        // `Expected` makes forgetting it a compile error instead of a silent no-op.
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

/// Finds the operation whose generation panics by generating each one alone.
fn locate_panic(lowered: &OpenAPI, model: &ApiModel, types_crate: &str, panic: String) -> GenError {
    for (path, item) in &lowered.paths.paths {
        let Some(item) = item.as_item() else { continue };
        for (method, op) in item.iter() {
            let mut single = lowered.clone();
            let mut only = openapiv3::PathItem::default();
            match method {
                "get" => only.get = Some(op.clone()),
                "put" => only.put = Some(op.clone()),
                "post" => only.post = Some(op.clone()),
                "delete" => only.delete = Some(op.clone()),
                "patch" => only.patch = Some(op.clone()),
                "head" => only.head = Some(op.clone()),
                "options" => only.options = Some(op.clone()),
                _ => only.trace = Some(op.clone()),
            }
            single.paths.paths = [(path.clone(), openapiv3::ReferenceOr::Item(only))]
                .into_iter()
                .collect();
            if guarded(|| generate(&single, model, types_crate)).is_err() {
                let id = op.operation_id.as_deref().unwrap_or("?");
                return GenError::at(
                    format!("operation {id} ({} {path})", method.to_uppercase()),
                    format!("progenitor/typify cannot generate this operation: {panic}"),
                );
            }
        }
    }
    GenError::at(
        "component schemas",
        format!("typify cannot convert the schemas: {panic}"),
    )
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
