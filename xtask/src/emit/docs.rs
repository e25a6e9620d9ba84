//! Gives every public item, field and variant a doc comment. Spec descriptions come through
//! typify; where the spec has none, a sentence built from the names still tells the reader
//! what they are looking at (and keeps `missing_docs` quiet in the generated crates).

use syn::visit_mut::{self, VisitMut};

/// Adds a fallback doc to each undocumented public item, field and variant in `file`.
pub fn fill_missing(file: &mut syn::File) {
    FillDocs { owner: String::new() }.visit_file_mut(file);
}

struct FillDocs {
    owner: String,
}

fn has_doc(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| a.path().is_ident("doc"))
}

fn add_doc(attrs: &mut Vec<syn::Attribute>, text: &str) {
    if !has_doc(attrs) {
        attrs.insert(0, syn::parse_quote!(#[doc = #text]));
    }
}

fn is_pub(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

impl VisitMut for FillDocs {
    fn visit_item_struct_mut(&mut self, item: &mut syn::ItemStruct) {
        if is_pub(&item.vis) {
            add_doc(&mut item.attrs, &format!("`{}`", item.ident));
        }
        self.owner = item.ident.to_string();
        visit_mut::visit_item_struct_mut(self, item);
    }

    fn visit_item_enum_mut(&mut self, item: &mut syn::ItemEnum) {
        if is_pub(&item.vis) {
            add_doc(&mut item.attrs, &format!("`{}`", item.ident));
        }
        self.owner = item.ident.to_string();
        visit_mut::visit_item_enum_mut(self, item);
    }

    fn visit_variant_mut(&mut self, variant: &mut syn::Variant) {
        add_doc(
            &mut variant.attrs,
            &format!("The `{}` form of [`{}`].", variant.ident, self.owner),
        );
        visit_mut::visit_variant_mut(self, variant);
    }

    fn visit_field_mut(&mut self, field: &mut syn::Field) {
        if is_pub(&field.vis)
            && let Some(ident) = &field.ident
        {
            let name = ident.to_string();
            let name = name.strip_prefix("r#").unwrap_or(&name);
            add_doc(
                &mut field.attrs,
                &format!("The `{name}` field of [`{}`].", self.owner),
            );
        }
        visit_mut::visit_field_mut(self, field);
    }

    fn visit_item_mod_mut(&mut self, item: &mut syn::ItemMod) {
        if is_pub(&item.vis) {
            add_doc(&mut item.attrs, &format!("Items of `{}`.", item.ident));
        }
        visit_mut::visit_item_mod_mut(self, item);
    }

    fn visit_item_fn_mut(&mut self, item: &mut syn::ItemFn) {
        if is_pub(&item.vis) {
            add_doc(&mut item.attrs, &format!("`{}`", item.sig.ident));
        }
        visit_mut::visit_item_fn_mut(self, item);
    }
}
